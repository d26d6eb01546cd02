"""Backends for the catalog contract tests: the same assertions run against the in-memory fakes,
SQLite and PostgreSQL, so a fake cannot drift from the real adapters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from application.ports import ItemQueries, UnitOfWorkFactory, UserQueries
from domain.identity import User
from tests.conftest import build_container, empty_tables
from tests.fakes import (
    FakeClock,
    FakeDatabase,
    FakeItemQueries,
    FakeState,
    FakeUnitOfWorkFactory,
    FakeUserQueries,
)


@dataclass
class Backend:
    name: str
    uow: UnitOfWorkFactory
    items: ItemQueries
    users: UserQueries
    clock: FakeClock
    clear: Callable[[], Awaitable[None]]
    engine: AsyncEngine | None = None
    fake: FakeDatabase | None = None

    async def user(self, name: str, **flags: Any) -> int:
        now = self.clock.now()
        async with self.uow() as uow:
            user = await uow.users.add(
                User(email=f"{name.lower()}@x.io", username=name, password_hash="h", created_at=now,
                     updated_at=now, **flags)
            )  # fmt: skip
            await uow.commit()
        assert user.id is not None
        return user.id


def _sql_backend(name: str, engine: AsyncEngine) -> Backend:
    container = build_container(engine)

    async def clear() -> None:
        await empty_tables(engine)

    return Backend(
        name, container.core.uow(), container.catalog.queries(), container.identity.queries(), FakeClock(),
        clear, engine=engine,
    )  # fmt: skip


def _fake_backend() -> Backend:
    db = FakeDatabase()

    async def clear() -> None:
        db.state = FakeState()

    return Backend(
        "fake",
        FakeUnitOfWorkFactory(db),
        FakeItemQueries(db),
        FakeUserQueries(db),
        FakeClock(),
        clear,
        fake=db,
    )


@pytest.fixture(params=["fake", "sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "fake":
        return _fake_backend()
    if request.param == "sqlite":
        return _sql_backend("sqlite", request.getfixturevalue("sqlite_db"))
    return _sql_backend("postgres", request.getfixturevalue("db"))
