"""Ledger adapters: account, entry and transfer repositories (write side, inside a unit of
work) and the ledger query service (read side, autocommit connection), with the invariant check
behind ``bazaar ledger verify``."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from application.ledger.invariants import AccountFacts, OrderMoney, TransferLeg, report
from application.ledger.views import AccountFilter, AccountView, EntryView, LedgerReport
from application.pagination import PageRequest, Slice
from domain.ledger import INCOMING, Account, Entry, EntryKind, Transfer
from domain.money import CENT
from infrastructure.persistence.database import ReadPath
from infrastructure.persistence.models import AccountRow, EntryRow, OrderRow, TransferRow
from infrastructure.persistence.queries import by_datetime, by_decimal, by_text, fetch_page, reading

_accounts = cast(Table, AccountRow.__table__)
_entries = cast(Table, EntryRow.__table__)
_transfers = cast(Table, TransferRow.__table__)
_orders = cast(Table, OrderRow.__table__)  # the ordering context's: what each order's money must be

# Prebuilt: the hot statements of a transfer keep their memoised cache keys.
_LOCK = (
    select(
        _accounts.c.id, _accounts.c.owner_id, _accounts.c.name, _accounts.c.balance, _accounts.c.created_at
    )
    .where(_accounts.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(_accounts.c.id)
    .with_for_update()  # SQLite ignores it: its write transactions begin IMMEDIATE (ADR 5)
)
_SAVE_BALANCE = (
    update(_accounts)
    .where(_accounts.c.id == bindparam("account_id"))
    .values(balance=bindparam("new_balance"))
)
_ACCOUNTS_OF = (
    select(_accounts.c.owner_id, _accounts.c.id)
    .where(_accounts.c.owner_id.in_(bindparam("owners", expanding=True)))
    .order_by(_accounts.c.owner_id, _accounts.c.created_at, _accounts.c.id)
)
_ENTRIES_OF_ORDER = (
    select(_entries).where(_entries.c.order_id == bindparam("order_id")).order_by(_entries.c.id)
)
_ADD_TRANSFER = insert(_transfers).returning(_transfers.c.id)
_ADD_ENTRIES = insert(_entries).returning(_entries.c.id, sort_by_parameter_order=True)


def entry_row(entry: Entry) -> dict[str, Any]:
    """The ``ledger_entries`` row of an entry (the seed writes the same rows in bulk)."""
    return {
        "account_id": entry.account_id,
        "kind": entry.kind.value,
        "amount": entry.amount,
        "balance_after": entry.balance_after,
        "transfer_id": entry.transfer_id,
        "order_id": entry.order_id,
        "created_at": entry.created_at,
    }


class SqlAccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, account: Account) -> Account:
        values = {
            "owner_id": account.owner_id,
            "name": account.name,
            "balance": account.balance,
            "created_at": account.created_at,
        }
        result = await self._session.execute(insert(_accounts).values(**values).returning(_accounts.c.id))
        account.id = int(result.scalar_one())
        return account

    async def lock(self, account_ids: Sequence[int]) -> dict[int, Account]:
        rows = await self._session.execute(_LOCK, {"ids": sorted(set(account_ids))})
        return {
            row.id: Account(row.owner_id, row.name, row.balance, id=row.id, created_at=row.created_at)
            for row in rows
        }

    async def save_balances(self, accounts: Sequence[Account]) -> None:
        params = [{"account_id": a.id, "new_balance": a.balance} for a in accounts]
        await self._session.execute(_SAVE_BALANCE, params)

    async def oldest_of(self, owner_ids: Sequence[int]) -> dict[int, int]:
        if not owner_ids:
            return {}
        oldest: dict[int, int] = {}
        for row in await self._session.execute(_ACCOUNTS_OF, {"owners": sorted(set(owner_ids))}):
            oldest.setdefault(row.owner_id, row.id)  # rows come oldest first per owner
        return oldest


class SqlEntryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, entries: Sequence[Entry]) -> list[Entry]:
        rows = [entry_row(e) for e in entries]
        ids = (await self._session.execute(_ADD_ENTRIES, rows)).scalars().all()
        return [
            Entry(
                e.account_id, e.kind, e.amount, e.balance_after, e.created_at, e.transfer_id, e.order_id, id=i
            )
            for e, i in zip(entries, ids, strict=True)
        ]

    async def of_order(self, order_id: int) -> list[Entry]:
        rows = await self._session.execute(_ENTRIES_OF_ORDER, {"order_id": order_id})
        return [
            Entry(
                r.account_id,
                EntryKind(r.kind),
                r.amount,
                r.balance_after,
                r.created_at,
                r.transfer_id,
                r.order_id,
                id=r.id,
            )
            for r in rows
        ]


class SqlTransferRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, transfer: Transfer) -> Transfer:
        values = {
            "from_account_id": transfer.from_account_id,
            "to_account_id": transfer.to_account_id,
            "amount": transfer.amount,
            "created_at": transfer.created_at,
        }
        result = await self._session.execute(_ADD_TRANSFER, values)
        return Transfer(
            transfer.from_account_id,
            transfer.to_account_id,
            transfer.amount,
            transfer.created_at,
            id=int(result.scalar_one()),
        )


# --- read side ------------------------------------------------------------------------------------

_ACCOUNT_COLUMNS = (
    _accounts.c.id,
    _accounts.c.owner_id,
    _accounts.c.name,
    _accounts.c.balance,
    _accounts.c.created_at,
)
_ACCOUNT_SORTS = {
    "created_at": by_datetime(_accounts.c.created_at),
    "name": by_text(_accounts.c.name),
    "balance": by_decimal(_accounts.c.balance),
}
_ENTRY_COLUMNS = (
    _entries.c.id,
    _entries.c.account_id,
    _entries.c.kind,
    _entries.c.amount,
    _entries.c.balance_after,
    _entries.c.transfer_id,
    _entries.c.order_id,
    _entries.c.created_at,
)
_ENTRY_SORTS = {"created_at": by_datetime(_entries.c.created_at)}
_GET_ACCOUNT = select(*_ACCOUNT_COLUMNS).where(_accounts.c.id == bindparam("account_id"))


def _account_view(row: Any) -> AccountView:
    return AccountView(row.id, row.owner_id, row.name, row.balance, row.created_at)


def _entry_view(row: Any) -> EntryView:
    return EntryView(
        row.id,
        row.account_id,
        EntryKind(row.kind),
        row.amount,
        row.balance_after,
        row.transfer_id,
        row.order_id,
        row.created_at,
    )


def _money(value: Any) -> Decimal:
    return Decimal(value if value is not None else 0).quantize(CENT)


def _signed() -> Any:
    """An entry's effect on its account's balance: + for money in, - for money out."""
    return case(
        (_entries.c.kind.in_(sorted(k.value for k in INCOMING)), _entries.c.amount), else_=-_entries.c.amount
    )


class SqlLedgerQueries:
    def __init__(self, reads: ReadPath) -> None:
        self._reads = reads

    async def account(self, account_id: int) -> AccountView | None:
        async with reading(self._reads) as conn:
            row = (await conn.execute(_GET_ACCOUNT, {"account_id": account_id})).first()
        return _account_view(row) if row is not None else None

    async def accounts(self, flt: AccountFilter, page: PageRequest) -> Slice[AccountView]:
        where = [] if flt.owner_id is None else [_accounts.c.owner_id == flt.owner_id]
        async with reading(self._reads) as conn:
            rows, total, next_key = await fetch_page(
                conn, _ACCOUNT_COLUMNS, _accounts, where, _ACCOUNT_SORTS, _accounts.c.id, page
            )
        return Slice([_account_view(r) for r in rows], total, next_key)

    async def entries(self, account_id: int, page: PageRequest) -> Slice[EntryView]:
        where = [_entries.c.account_id == account_id]
        async with reading(self._reads) as conn:
            rows, total, next_key = await fetch_page(
                conn, _ENTRY_COLUMNS, _entries, where, _ENTRY_SORTS, _entries.c.id, page
            )
        return Slice([_entry_view(r) for r in rows], total, next_key)

    async def verify(self) -> LedgerReport:
        zero = literal(Decimal("0.00"), _accounts.c.balance.type)
        sums = (
            select(_entries.c.account_id, func.coalesce(func.sum(_signed()), zero).label("total"))
            .group_by(_entries.c.account_id)
            .subquery("sums")
        )
        last = (
            select(_entries.c.account_id, func.max(_entries.c.id).label("last_id"))
            .group_by(_entries.c.account_id)
            .subquery("last")
        )
        per_account = (
            select(
                _accounts.c.id,
                _accounts.c.balance,
                func.coalesce(sums.c.total, zero).label("entries_total"),
                _entries.c.balance_after.label("last_balance"),
            )
            .select_from(
                _accounts.outerjoin(sums, sums.c.account_id == _accounts.c.id)
                .outerjoin(last, last.c.account_id == _accounts.c.id)
                .outerjoin(_entries, _entries.c.id == last.c.last_id)
            )
            .order_by(_accounts.c.id)
        )
        deposits = select(func.coalesce(func.sum(_entries.c.amount), zero)).where(
            _entries.c.kind == EntryKind.DEPOSIT.value
        )
        legs = (
            select(
                _transfers.c.id,
                _transfers.c.amount,
                _transfers.c.from_account_id,
                _transfers.c.to_account_id,
                _entries.c.kind,
                _entries.c.account_id,
                _entries.c.amount.label("entry_amount"),
            )
            .select_from(_transfers.outerjoin(_entries, _entries.c.transfer_id == _transfers.c.id))
            .order_by(_transfers.c.id)
        )

        def sum_of(kind: EntryKind) -> Any:
            return func.coalesce(func.sum(case((_entries.c.kind == kind.value, _entries.c.amount))), zero)

        per_order = (
            select(
                _orders.c.id,
                _orders.c.status,
                _orders.c.total,
                sum_of(EntryKind.PAYMENT_OUT).label("paid_out"),
                sum_of(EntryKind.PAYMENT_IN).label("paid_in"),
                sum_of(EntryKind.REFUND_OUT).label("refunded_out"),
                sum_of(EntryKind.REFUND_IN).label("refunded_in"),
            )
            .select_from(_orders.outerjoin(_entries, _entries.c.order_id == _orders.c.id))
            .group_by(_orders.c.id, _orders.c.status, _orders.c.total)
            .order_by(_orders.c.id)
        )
        async with reading(self._reads) as conn:
            accounts = [
                AccountFacts(r.id, _money(r.balance), _money(r.entries_total), r.last_balance)
                for r in await conn.execute(per_account)
            ]
            total_deposits = _money(await conn.scalar(deposits))
            legs_found = [TransferLeg(*r) for r in await conn.execute(legs)]
            entry_count = int((await conn.scalar(select(func.count()).select_from(_entries))) or 0)
            orders = [
                OrderMoney(
                    r.id,
                    r.status,
                    _money(r.total),
                    _money(r.paid_out),
                    _money(r.paid_in),
                    _money(r.refunded_out),
                    _money(r.refunded_in),
                )
                for r in await conn.execute(per_order)
            ]
        return report(accounts, entry_count, total_deposits, legs_found, orders)
