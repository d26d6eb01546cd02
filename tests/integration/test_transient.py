"""A real deadlock on PostgreSQL surfaces from the unit of work as ``TransientConflict``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy import text

from application.common import TransientConflict, retry_transient
from domain.identity import User
from infrastructure.persistence.database import create_session_factory
from infrastructure.persistence.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 1, 1, tzinfo=UTC)


async def crossing_updates(
    db,
) -> tuple[Callable[[], Awaitable[None]], Callable[[], Awaitable[None]], dict[str, int]]:
    """Two units of work that update users a and b in opposite orders, each waiting until the
    other holds its first lock: PostgreSQL must abort one of them with a deadlock."""
    uow_factory = SqlUnitOfWorkFactory(create_session_factory(db))
    async with uow_factory() as uow:
        a = await uow.users.add(User("a@example.com", "aaa", "h", created_at=NOW, updated_at=NOW))
        b = await uow.users.add(User("b@example.com", "bbb", "h", created_at=NOW, updated_at=NOW))
        await uow.commit()
    locked = {"x": asyncio.Event(), "y": asyncio.Event()}
    attempts = {"x": 0, "y": 0}

    def run(name: str, other: str, order: tuple[int | None, int | None]) -> Callable[[], Awaitable[None]]:
        async def attempt() -> None:
            attempts[name] += 1
            async with uow_factory() as uow:
                stmt = text("UPDATE users SET full_name = :n WHERE id = :i")
                await uow.session.execute(stmt, {"n": name, "i": order[0]})
                locked[name].set()
                await asyncio.wait_for(locked[other].wait(), 5)
                await uow.session.execute(stmt, {"n": name, "i": order[1]})
                await uow.commit()

        return attempt

    return run("x", "y", (a.id, b.id)), run("y", "x", (b.id, a.id)), attempts


async def test_deadlock_becomes_transient_conflict_and_a_retry_succeeds(db) -> None:
    x, y, attempts = await crossing_updates(db)
    results = await asyncio.gather(
        retry_transient(x, base_delay=0.05), retry_transient(y, base_delay=0.05), return_exceptions=True
    )
    assert results == [None, None], results
    assert attempts["x"] + attempts["y"] == 3  # exactly one victim, retried once


async def test_without_retry_the_victim_sees_transient_conflict(db) -> None:
    x, y, _ = await crossing_updates(db)
    results = await asyncio.gather(x(), y(), return_exceptions=True)
    assert sum(isinstance(r, TransientConflict) for r in results) == 1, results
    assert sum(r is None for r in results) == 1
