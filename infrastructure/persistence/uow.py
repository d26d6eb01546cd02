"""The SQLAlchemy unit of work: one ``AsyncSession``, the repositories over it, and the
translation of integrity errors into domain errors at the two places they surface (flush in a
repository or a savepoint, and commit), and of deadlocks and serialization failures into
``TransientConflict`` (wherever they surface inside the block) so use cases can run again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrastructure.persistence.catalog import SqlItemRepository, SqlTagRepository
from infrastructure.persistence.database import transient_conflict, translate_integrity_error
from infrastructure.persistence.identity import SqlLoginAttemptRepository, SqlUserRepository


class SqlUnitOfWork:
    users: SqlUserRepository
    login_attempts: SqlLoginAttemptRepository
    items: SqlItemRepository
    tags: SqlTagRepository

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def __aenter__(self) -> SqlUnitOfWork:
        self.session = self._session_factory()
        self.users = SqlUserRepository(self.session)
        self.login_attempts = SqlLoginAttemptRepository(self.session)
        self.tags = SqlTagRepository(self.session)
        self.items = SqlItemRepository(self.session, self.tags)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.session.close()  # rolls back whatever was not committed
        if isinstance(exc, DBAPIError) and (conflict := transient_conflict(exc)) is not None:
            raise conflict from exc

    async def commit(self) -> None:
        try:
            await self.session.commit()
        except IntegrityError as error:
            await self.session.rollback()
            raise translate_integrity_error(error) from error
        except DBAPIError as error:
            await self.session.rollback()
            raise transient_conflict(error) or error from error

    async def rollback(self) -> None:
        await self.session.rollback()

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        try:
            async with self.session.begin_nested():
                yield
        except IntegrityError as error:
            raise translate_integrity_error(error) from error
        except DBAPIError as error:
            raise transient_conflict(error) or error from error


class SqlUnitOfWorkFactory:
    """What use cases receive: calling it opens a fresh unit of work."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._session_factory)
