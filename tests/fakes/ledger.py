"""Fakes of the ledger's ports: accounts, entries, transfers (write side) and the ledger query
service, with the database's rules: unique account name per owner, the owner's foreign key, no
negative balance (the CHECK constraint), and ``lock`` recorded as a ``for_update`` statement."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from application.ledger.invariants import AccountFacts, OrderMoney, TransferLeg, report
from application.ledger.views import AccountFilter, AccountView, EntryView, LedgerReport
from application.pagination import PageRequest, Slice
from domain.errors import AlreadyExists, Conflict
from domain.ledger import INCOMING, Account, Entry, EntryKind, Transfer
from tests.fakes.paging import fake_page
from tests.fakes.state import FakeDatabase

if TYPE_CHECKING:
    from tests.fakes.uow import FakeUnitOfWork


class FakeAccountRepository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    async def add(self, account: Account) -> Account:
        self._uow.db.run("accounts.add")
        state = self._uow.state
        if account.owner_id not in state.users:
            raise Conflict("The Account refers to a row that does not exist")
        if any(a.owner_id == account.owner_id and a.name == account.name for a in state.accounts.values()):
            raise AlreadyExists("Account", "name")
        account.id = state.new_id("accounts")
        state.accounts[account.id] = copy.deepcopy(account)
        return account

    async def lock(self, account_ids: Sequence[int]) -> dict[int, Account]:
        self._uow.db.run("accounts.lock", for_update=True)
        accounts = self._uow.state.accounts
        return {i: copy.deepcopy(accounts[i]) for i in sorted(set(account_ids)) if i in accounts}

    async def save_balances(self, accounts: Sequence[Account]) -> None:
        self._uow.db.run("accounts.save_balances")
        for account in accounts:
            assert account.id is not None
            if account.balance < 0:  # ck_accounts_balance_non_negative
                raise Conflict("The change conflicts with existing data")
            self._uow.state.accounts[account.id].balance = account.balance

    async def oldest_of(self, owner_ids: Sequence[int]) -> dict[int, int]:
        self._uow.db.run("accounts.oldest_of")
        oldest: dict[int, int] = {}
        for account in sorted(self._uow.state.accounts.values(), key=lambda a: (a.created_at, a.id)):
            if account.owner_id in owner_ids and account.id is not None:
                oldest.setdefault(account.owner_id, account.id)
        return oldest


class FakeEntryRepository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    async def add(self, entries: Sequence[Entry]) -> list[Entry]:
        self._uow.db.run("entries.add")
        state = self._uow.state
        stored = []
        for entry in entries:
            if (
                entry.account_id not in state.accounts
                or (entry.transfer_id is not None and entry.transfer_id not in state.transfers)
                or (entry.order_id is not None and entry.order_id not in state.orders)
            ):
                raise Conflict("The Ledger entry refers to a row that does not exist")
            if entry.amount <= 0 or entry.balance_after < 0:
                raise Conflict("The change conflicts with existing data")
            entry = dataclasses.replace(entry, id=state.new_id("ledger_entries"))
            state.entries[entry.id] = entry  # type: ignore[index]
            stored.append(entry)
        return stored

    async def of_order(self, order_id: int) -> list[Entry]:
        self._uow.db.run("entries.of_order")
        return sorted((e for e in self._uow.state.entries.values() if e.order_id == order_id), key=_id)


class FakeTransferRepository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    async def add(self, transfer: Transfer) -> Transfer:
        self._uow.db.run("transfers.add")
        state = self._uow.state
        if transfer.from_account_id == transfer.to_account_id or transfer.amount <= 0:
            raise Conflict("The change conflicts with existing data")
        stored = dataclasses.replace(transfer, id=state.new_id("transfers"))
        state.transfers[stored.id] = stored  # type: ignore[index]
        return stored


def _signed(entry: Entry) -> Decimal:
    return entry.amount if entry.kind in INCOMING else -entry.amount


class FakeLedgerQueries:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db

    async def account(self, account_id: int) -> AccountView | None:
        account = self._db.state.accounts.get(account_id)
        return AccountView.of(account) if account else None

    async def accounts(self, flt: AccountFilter, page: PageRequest) -> Slice[AccountView]:
        views = [
            AccountView.of(a)
            for a in self._db.state.accounts.values()
            if flt.owner_id is None or a.owner_id == flt.owner_id
        ]
        return fake_page(views, page)

    async def entries(self, account_id: int, page: PageRequest) -> Slice[EntryView]:
        views = [EntryView.of(e) for e in self._db.state.entries.values() if e.account_id == account_id]
        return fake_page(views, page)

    async def verify(self) -> LedgerReport:
        state = self._db.state
        accounts = []
        for account in state.accounts.values():
            assert account.id is not None
            mine = sorted((e for e in state.entries.values() if e.account_id == account.id), key=_id)
            total = sum((_signed(e) for e in mine), Decimal("0.00"))
            accounts.append(
                AccountFacts(account.id, account.balance, total, mine[-1].balance_after if mine else None)
            )
        deposits = sum(
            (e.amount for e in state.entries.values() if e.kind == EntryKind.DEPOSIT), Decimal("0.00")
        )
        legs = []
        for t in state.transfers.values():
            assert t.id is not None
            found = [e for e in state.entries.values() if e.transfer_id == t.id]
            legs += [
                TransferLeg(
                    t.id, t.amount, t.from_account_id, t.to_account_id, e.kind.value, e.account_id, e.amount
                )
                for e in found
            ] or [TransferLeg(t.id, t.amount, t.from_account_id, t.to_account_id, None, None, None)]
        orders = []
        for order_id, order in state.orders.items():
            mine = [e for e in state.entries.values() if e.order_id == order_id]

            def sum_of(kind: EntryKind, entries: list[Entry] = mine) -> Decimal:
                return sum((e.amount for e in entries if e.kind == kind), Decimal("0.00"))

            orders.append(
                OrderMoney(
                    order_id,
                    order.status.value,
                    state.order_totals[order_id],
                    sum_of(EntryKind.PAYMENT_OUT),
                    sum_of(EntryKind.PAYMENT_IN),
                    sum_of(EntryKind.REFUND_OUT),
                    sum_of(EntryKind.REFUND_IN),
                )
            )
        return report(accounts, len(state.entries), deposits, legs, orders)


def _id(entry: Any) -> int:
    return int(entry.id)
