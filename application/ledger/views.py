"""Ledger views and filters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from domain.ledger import Account, Entry, EntryKind, Transfer


@dataclass(frozen=True, slots=True)
class AccountView:
    id: int
    owner_id: int
    name: str
    balance: Decimal
    created_at: datetime

    @classmethod
    def of(cls, account: Account) -> AccountView:
        assert account.id is not None
        assert account.created_at is not None
        return cls(account.id, account.owner_id, account.name, account.balance, account.created_at)


@dataclass(frozen=True, slots=True)
class AccountFilter:
    owner_id: int | None = None


@dataclass(frozen=True, slots=True)
class EntryView:
    id: int
    account_id: int
    kind: EntryKind
    amount: Decimal
    balance_after: Decimal
    transfer_id: int | None
    order_id: int | None
    created_at: datetime

    @classmethod
    def of(cls, entry: Entry) -> EntryView:
        assert entry.id is not None
        return cls(
            entry.id,
            entry.account_id,
            entry.kind,
            entry.amount,
            entry.balance_after,
            entry.transfer_id,
            entry.order_id,
            entry.created_at,
        )


@dataclass(frozen=True, slots=True)
class TransferView:
    id: int
    from_account_id: int
    to_account_id: int
    amount: Decimal
    created_at: datetime

    @classmethod
    def of(cls, transfer: Transfer) -> TransferView:
        assert transfer.id is not None
        return cls(
            transfer.id,
            transfer.from_account_id,
            transfer.to_account_id,
            transfer.amount,
            transfer.created_at,
        )


@dataclass(frozen=True, slots=True)
class LedgerReport:
    """What ``bazaar ledger verify`` found: the totals, and every broken invariant in words."""

    accounts: int
    entries: int
    transfers: int
    total_balance: Decimal
    total_deposits: Decimal
    problems: list[str] = field(default_factory=list)
    orders: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems
