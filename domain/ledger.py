"""Ledger: accounts that hold money, and the entries that move it.

Every balance change is an entry (``kind``, ``amount``, ``balance_after``), so each account's
balance is the sum of its entries and the sum of all balances is the sum of all deposits. A
balance never goes below zero: ``withdraw`` refuses (and a CHECK constraint backs it).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.errors import Conflict, InsufficientFunds, InvalidInput
from domain.money import CENT, largest, parse_money
from domain.text import check_text

ACCOUNT_NAME_MAX = 100
DEFAULT_ACCOUNT_NAME = "Main"
# Balances and amounts live in numeric(12,2) columns: at most 10 digits before the point.
AMOUNT_INTEGER_DIGITS = 10
AMOUNT_MAX = largest(AMOUNT_INTEGER_DIGITS)


class EntryKind(enum.StrEnum):
    DEPOSIT = "deposit"
    TRANSFER_IN = "transfer_in"
    TRANSFER_OUT = "transfer_out"
    PAYMENT_IN = "payment_in"
    PAYMENT_OUT = "payment_out"
    REFUND_IN = "refund_in"
    REFUND_OUT = "refund_out"


# Entries that add to their account's balance; the others take from it.
INCOMING = frozenset({EntryKind.DEPOSIT, EntryKind.TRANSFER_IN, EntryKind.PAYMENT_IN, EntryKind.REFUND_IN})


def parse_amount(value: object, field_name: str = "amount") -> Decimal:
    """Money that moves: more than zero, two places at most, fits the column."""
    amount = parse_money(value, field_name, maximum=AMOUNT_MAX)
    if amount <= 0:
        raise InvalidInput(f"{field_name} must be more than 0", field_name)
    return amount


def check_account_name(name: str) -> str:
    if not isinstance(name, str) or not 1 <= len(name) <= ACCOUNT_NAME_MAX or not name.strip():
        raise InvalidInput(f"name must be 1-{ACCOUNT_NAME_MAX} characters, not only blanks", "name")
    return check_text(name, "name")


@dataclass(slots=True)
class Account:
    """Money one user holds. ``id`` is ``None`` until the repository has stored it."""

    owner_id: int
    name: str
    balance: Decimal = Decimal("0.00")
    id: int | None = None
    created_at: datetime | None = None

    @classmethod
    def open(cls, owner_id: int, name: str | None, now: datetime) -> Account:
        chosen = DEFAULT_ACCOUNT_NAME if name is None else name
        return cls(owner_id=owner_id, name=check_account_name(chosen), created_at=now)

    def deposit(self, amount: Decimal) -> Decimal:
        """Adds ``amount``; returns the balance after it. A balance beyond the column is refused."""
        after = (self.balance + amount).quantize(CENT)
        if after > AMOUNT_MAX:  # the account's state refuses it, not the amount itself: a 409
            raise Conflict(f"Account {self.id} would hold more than {AMOUNT_MAX}")
        self.balance = after
        return after

    def withdraw(self, amount: Decimal) -> Decimal:
        """Takes ``amount`` out; returns the balance after it. Never below zero."""
        if amount > self.balance:
            raise InsufficientFunds(f"Account {self.id} holds {self.balance}, less than {amount}")
        self.balance = (self.balance - amount).quantize(CENT)
        return self.balance


@dataclass(frozen=True, slots=True)
class Entry:
    """One balance change of one account, as it happened."""

    account_id: int
    kind: EntryKind
    amount: Decimal
    balance_after: Decimal
    created_at: datetime
    transfer_id: int | None = None
    order_id: int | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Transfer:
    from_account_id: int
    to_account_id: int
    amount: Decimal
    created_at: datetime
    id: int | None = None

    @classmethod
    def between(cls, source: Account, target: Account, amount: Decimal, now: datetime) -> Transfer:
        """Moves ``amount`` from ``source`` to ``target`` (both loaded under lock): the domain
        rule, before anything is written. Same account or insufficient funds are refused."""
        assert source.id is not None
        assert target.id is not None
        if source.id == target.id:
            raise InvalidInput("to_account_id must differ from from_account_id", "to_account_id")
        source.withdraw(amount)
        target.deposit(amount)
        return cls(source.id, target.id, amount, now)
