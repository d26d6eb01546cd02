"""Ledger use cases: accounts, deposits, transfers, entries, and the invariant check.

Money moves only through ``Transactions`` (one unit of work, one commit, the whole rerun on a
lost race) with the rows locked first: a transfer locks both accounts in one statement, in
ascending id order, so transfers in opposite directions queue instead of deadlocking, and the
balance it checks is the balance it writes. Deposits and transfers honour ``Idempotency-Key``
(``application.idempotency``), recorded in the same transaction as the money.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from application.common import Actor
from application.idempotency import Idempotency, Outcome, run_once
from application.ledger.ports import LedgerQueries, LedgerUnitOfWork
from application.ledger.views import AccountFilter, AccountView, EntryView, LedgerReport, TransferView
from application.pagination import CursorCodec, Page, PageParams, scope_of
from application.ports import Clock
from application.transactions import Transactions
from domain.errors import InvalidInput, NotFound
from domain.ledger import Account, Entry, EntryKind, Transfer, parse_amount

ACCOUNT_SORTS = ("created_at", "name", "balance")
ENTRY_SORTS = ("created_at",)

LedgerTransactions = Transactions[LedgerUnitOfWork]


def _not_found(account_id: int) -> NotFound:
    return NotFound(f"Account {account_id} not found")


def _visible(actor: Actor, account: AccountView | Account | None, account_id: int) -> None:
    """Accounts are private: anyone but the owner and superusers sees a 404, never a 403."""
    if account is None or not (actor.is_superuser or account.owner_id == actor.user_id):
        raise _not_found(account_id)


# --- commands ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenAccountCommand:
    name: str | None = None


@dataclass(frozen=True, slots=True)
class DepositCommand:
    amount: Decimal | str | int


@dataclass(frozen=True, slots=True)
class TransferCommand:
    from_account_id: int
    to_account_id: int
    amount: Decimal | str | int


# --- write use cases ------------------------------------------------------------------------------


class OpenAccount:
    def __init__(self, tx: LedgerTransactions, clock: Clock) -> None:
        self._tx, self._clock = tx, clock

    async def __call__(self, actor: Actor, cmd: OpenAccountCommand) -> AccountView:
        account = Account.open(actor.user_id, cmd.name, self._clock.now())

        async def work(uow: LedgerUnitOfWork) -> Account:
            return await uow.accounts.add(account)

        return AccountView.of(await self._tx(work))


class Deposit:
    """A superuser puts money into an account: one ``deposit`` entry."""

    def __init__(self, tx: LedgerTransactions, clock: Clock) -> None:
        self._tx, self._clock = tx, clock

    async def __call__(
        self, actor: Actor, account_id: int, cmd: DepositCommand, idempotency: Idempotency[EntryView]
    ) -> Outcome:
        actor.require_superuser()
        amount = parse_amount(cmd.amount)

        async def work(uow: LedgerUnitOfWork) -> Outcome:
            now = self._clock.now()
            return await run_once(uow, idempotency, now, lambda: self._deposit(uow, account_id, amount, now))

        return await self._tx(work)

    @staticmethod
    async def _deposit(uow: LedgerUnitOfWork, account_id: int, amount: Decimal, now: datetime) -> EntryView:
        account = (await uow.accounts.lock([account_id])).get(account_id)
        if account is None:
            raise _not_found(account_id)
        after = account.deposit(amount)
        await uow.accounts.save_balances([account])
        (entry,) = await uow.entries.add([Entry(account_id, EntryKind.DEPOSIT, amount, after, now)])
        return EntryView.of(entry)


class TransferFunds:
    """Moves money between two accounts, atomically: both balances, the transfer and its two
    entries, or nothing (insufficient funds is a 409 with nothing changed)."""

    def __init__(self, tx: LedgerTransactions, clock: Clock) -> None:
        self._tx, self._clock = tx, clock

    async def __call__(
        self, actor: Actor, cmd: TransferCommand, idempotency: Idempotency[TransferView]
    ) -> Outcome:
        amount = parse_amount(cmd.amount)

        async def work(uow: LedgerUnitOfWork) -> Outcome:
            now = self._clock.now()
            return await run_once(uow, idempotency, now, lambda: self._move(uow, actor, cmd, amount, now))

        return await self._tx(work)

    @staticmethod
    async def _move(
        uow: LedgerUnitOfWork, actor: Actor, cmd: TransferCommand, amount: Decimal, now: datetime
    ) -> TransferView:
        source_id, target_id = cmd.from_account_id, cmd.to_account_id
        locked = await uow.accounts.lock([source_id, target_id])
        source, target = locked.get(source_id), locked.get(target_id)
        _visible(actor, source, source_id)
        if target is None:
            raise InvalidInput(f"to_account_id {target_id} is not an existing account", "to_account_id")
        assert source is not None
        moved = await uow.transfers.add(Transfer.between(source, target, amount, now))
        await uow.accounts.save_balances([source, target])
        out = Entry(source_id, EntryKind.TRANSFER_OUT, amount, source.balance, now, transfer_id=moved.id)
        into = Entry(target_id, EntryKind.TRANSFER_IN, amount, target.balance, now, transfer_id=moved.id)
        await uow.entries.add([out, into])
        return TransferView.of(moved)


# --- read use cases -------------------------------------------------------------------------------


class GetAccount:
    def __init__(self, queries: LedgerQueries) -> None:
        self._queries = queries

    async def __call__(self, actor: Actor, account_id: int) -> AccountView:
        view = await self._queries.account(account_id)
        _visible(actor, view, account_id)
        assert view is not None
        return view


class ListAccounts:
    """The caller's accounts; a superuser sees everyone's, optionally one owner's."""

    def __init__(self, queries: LedgerQueries, cursors: CursorCodec) -> None:
        self._queries, self._cursors = queries, cursors

    async def __call__(self, actor: Actor, owner_id: int | None, params: PageParams) -> Page[AccountView]:
        flt = AccountFilter(owner_id=owner_id if actor.is_superuser else actor.user_id)
        scope = scope_of("accounts", flt.owner_id)
        request = self._cursors.page_request(params, ACCOUNT_SORTS, scope)
        return self._cursors.page(request, await self._queries.accounts(flt, request), scope)


class ListEntries:
    """An account's entries, newest first by default."""

    def __init__(self, queries: LedgerQueries, cursors: CursorCodec) -> None:
        self._queries, self._cursors = queries, cursors

    async def __call__(self, actor: Actor, account_id: int, params: PageParams) -> Page[EntryView]:
        _visible(actor, await self._queries.account(account_id), account_id)
        scope = scope_of("entries", account_id)
        request = self._cursors.page_request(params, ENTRY_SORTS, scope)
        return self._cursors.page(request, await self._queries.entries(account_id, request), scope)


class VerifyLedger:
    """For ``bazaar ledger verify``."""

    def __init__(self, queries: LedgerQueries) -> None:
        self._queries = queries

    async def __call__(self) -> LedgerReport:
        return await self._queries.verify()
