"""The SQLAlchemy unit of work: one ``AsyncSession``, every context's repositories over it, and
the one place where what the database reports becomes an application or domain error
(``errors.translate``): in a repository call (on leaving the block), in a savepoint, and at
commit. Each context's use cases see it through their own narrow protocol
(``application/<context>/ports.py``); ``conformance.py`` has mypy check that it fits them all.

Repositories are built on first use: a unit of work that touches only users never builds the
others. A new context adds its repositories here, one property each.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cached_property
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrastructure.persistence.blog import SqlPostRepository
from infrastructure.persistence.catalog import SqlItemRepository, SqlTagRepository
from infrastructure.persistence.errors import translate
from infrastructure.persistence.idempotency import SqlIdempotencyRepository
from infrastructure.persistence.identity import SqlLoginThrottleRepository, SqlUserRepository
from infrastructure.persistence.ledger import SqlAccountRepository, SqlEntryRepository, SqlTransferRepository
from infrastructure.persistence.ordering import SqlOrderRepository
from infrastructure.persistence.teams import SqlHeroRepository, SqlMembershipRepository, SqlTeamRepository
from infrastructure.persistence.turns import Turns


class SqlUnitOfWork:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], turns: Turns | None = None) -> None:
        self._session_factory = session_factory
        self._turns = turns

    async def __aenter__(self) -> Self:
        # A unit of work holds one connection from its first statement to its end: it waits for
        # its turn first, in arrival order (``turns``), not in the pool's queue.
        if self._turns is not None:
            await self._turns.__aenter__()
        self.session = self._session_factory()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.session.close()  # rolls back whatever was not committed
        except Exception as close_error:
            if exc is None:
                raise translate(close_error) or close_error from close_error
            # else: the error that ended the block is the one worth reporting
        finally:
            if self._turns is not None:
                await self._turns.__aexit__(None, None, None)
        if exc is not None and (translated := translate(exc)) is not None:
            raise translated from exc

    async def commit(self) -> None:
        try:
            await self.session.commit()
        except Exception as error:
            translated = translate(error)
            if translated is None:
                raise
            raise translated from error

    async def rollback(self) -> None:
        await self.session.rollback()

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        try:
            async with self.session.begin_nested():
                yield
        except Exception as error:
            translated = translate(error)
            if translated is None:
                raise
            raise translated from error

    # --- identity ---------------------------------------------------------------------------

    @cached_property
    def users(self) -> SqlUserRepository:
        return SqlUserRepository(self.session)

    @cached_property
    def login_throttle(self) -> SqlLoginThrottleRepository:
        return SqlLoginThrottleRepository(self.session)

    # --- catalog ----------------------------------------------------------------------------

    @cached_property
    def tags(self) -> SqlTagRepository:
        return SqlTagRepository(self.session)

    @cached_property
    def items(self) -> SqlItemRepository:
        return SqlItemRepository(self.session, self.tags)

    # --- ledger -----------------------------------------------------------------------------

    @cached_property
    def accounts(self) -> SqlAccountRepository:
        return SqlAccountRepository(self.session)

    @cached_property
    def entries(self) -> SqlEntryRepository:
        return SqlEntryRepository(self.session)

    @cached_property
    def transfers(self) -> SqlTransferRepository:
        return SqlTransferRepository(self.session)

    # --- teams ------------------------------------------------------------------------------

    @cached_property
    def teams(self) -> SqlTeamRepository:
        return SqlTeamRepository(self.session)

    @cached_property
    def heroes(self) -> SqlHeroRepository:
        return SqlHeroRepository(self.session)

    @cached_property
    def memberships(self) -> SqlMembershipRepository:
        return SqlMembershipRepository(self.session)

    # --- ordering ---------------------------------------------------------------------------

    @cached_property
    def orders(self) -> SqlOrderRepository:
        return SqlOrderRepository(self.session)

    # --- blog -------------------------------------------------------------------------------

    @cached_property
    def posts(self) -> SqlPostRepository:
        return SqlPostRepository(self.session)

    # --- shared -----------------------------------------------------------------------------

    @cached_property
    def idempotency(self) -> SqlIdempotencyRepository:
        return SqlIdempotencyRepository(self.session)


class SqlUnitOfWorkFactory:
    """What ``Transactions`` receives: calling it opens a fresh unit of work."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], turns: Turns | None = None) -> None:
        self._session_factory = session_factory
        self._turns = turns

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._session_factory, self._turns)
