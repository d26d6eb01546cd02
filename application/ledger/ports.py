"""Ledger ports: accounts, entries and transfers (write side), the ledger query service (read
side), idempotency keys, and ``LedgerUnitOfWork``.

Cross-context use (docs/adr/0011-per-context-layout.md): none through ports; identity's hard
delete meets the ledger only through the accounts' foreign key (ON DELETE RESTRICT). The ordering
context uses ``AccountRepository`` and ``EntryRepository`` (``oldest_of`` and ``of_order`` are
there for it): a payment and its refunds move money in the order's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from application.idempotency import IdempotencyRepository
from application.ledger.views import AccountFilter, AccountView, EntryView, LedgerReport
from application.pagination import PageRequest, Slice
from application.ports import UnitOfWork
from domain.ledger import Account, Entry, Transfer


class AccountRepository(Protocol):
    async def add(self, account: Account) -> Account:
        """Raises ``AlreadyExists("Account", "name")`` when the owner has an account of that name."""
        ...

    async def lock(self, account_ids: Sequence[int]) -> dict[int, Account]:
        """Loads the accounts and locks their rows until the unit of work ends, in ascending id
        order and in one statement, so two transfers in opposite directions never deadlock.
        Unknown ids are absent from the result."""
        ...

    async def save_balances(self, accounts: Sequence[Account]) -> None:
        """Writes the balances of accounts loaded with ``lock``."""
        ...

    async def oldest_of(self, owner_ids: Sequence[int]) -> dict[int, int]:
        """The id of each owner's oldest account (earliest ``created_at``, then lowest id), by
        owner, in one statement; owners without an account are absent. Locks nothing."""
        ...


class EntryRepository(Protocol):
    async def add(self, entries: Sequence[Entry]) -> list[Entry]:
        """Stores the entries; returns them with their ids."""
        ...

    async def of_order(self, order_id: int) -> list[Entry]:
        """The entries carrying ``order_id`` (payments and refunds), oldest first."""
        ...


class TransferRepository(Protocol):
    async def add(self, transfer: Transfer) -> Transfer: ...


class LedgerQueries(Protocol):
    async def account(self, account_id: int) -> AccountView | None: ...
    async def accounts(self, flt: AccountFilter, page: PageRequest) -> Slice[AccountView]: ...
    async def entries(self, account_id: int, page: PageRequest) -> Slice[EntryView]: ...
    async def verify(self) -> LedgerReport:
        """Checks every invariant of the ledger over the whole database."""
        ...


class LedgerUnitOfWork(UnitOfWork, Protocol):
    @property
    def accounts(self) -> AccountRepository: ...
    @property
    def entries(self) -> EntryRepository: ...
    @property
    def transfers(self) -> TransferRepository: ...
    @property
    def idempotency(self) -> IdempotencyRepository: ...
