"""The fake unit of work: a deep copy of the committed state, swapped in on commit."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Self

from tests.fakes.blog import FakePostRepository
from tests.fakes.catalog import FakeItemRepository, FakeTagRepository
from tests.fakes.idempotency import FakeIdempotencyRepository
from tests.fakes.identity import FakeLoginThrottleRepository, FakeUserRepository
from tests.fakes.ledger import FakeAccountRepository, FakeEntryRepository, FakeTransferRepository
from tests.fakes.ordering import FakeOrderRepository
from tests.fakes.state import FakeDatabase
from tests.fakes.teams import FakeHeroRepository, FakeMembershipRepository, FakeTeamRepository


class FakeUnitOfWork:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    async def __aenter__(self) -> Self:
        self.state = copy.deepcopy(self.db.state)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.state = copy.deepcopy(self.db.state)  # anything not committed is gone

    async def commit(self) -> None:
        self.db.run("commit")
        self.db.state = copy.deepcopy(self.state)
        self.db.commits += 1

    async def rollback(self) -> None:
        self.state = copy.deepcopy(self.db.state)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        saved = copy.deepcopy(self.state)
        try:
            yield
        except BaseException:
            self.state = saved
            raise

    # Repositories read ``self.state`` on every call, so they survive a savepoint's rollback.

    @property
    def users(self) -> FakeUserRepository:
        return FakeUserRepository(self)

    @property
    def login_throttle(self) -> FakeLoginThrottleRepository:
        return FakeLoginThrottleRepository(self)

    @property
    def items(self) -> FakeItemRepository:
        return FakeItemRepository(self)

    @property
    def tags(self) -> FakeTagRepository:
        return FakeTagRepository(self)

    @property
    def accounts(self) -> FakeAccountRepository:
        return FakeAccountRepository(self)

    @property
    def entries(self) -> FakeEntryRepository:
        return FakeEntryRepository(self)

    @property
    def transfers(self) -> FakeTransferRepository:
        return FakeTransferRepository(self)

    @property
    def teams(self) -> FakeTeamRepository:
        return FakeTeamRepository(self)

    @property
    def heroes(self) -> FakeHeroRepository:
        return FakeHeroRepository(self)

    @property
    def memberships(self) -> FakeMembershipRepository:
        return FakeMembershipRepository(self)

    @property
    def orders(self) -> FakeOrderRepository:
        return FakeOrderRepository(self)

    @property
    def posts(self) -> FakePostRepository:
        return FakePostRepository(self)

    @property
    def idempotency(self) -> FakeIdempotencyRepository:
        return FakeIdempotencyRepository(self)


class FakeUnitOfWorkFactory:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.db)
