"""A real deadlock on PostgreSQL surfaces from the unit of work as ``TransientConflict``."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import text

from application.common import TransientConflict, retry_transient
from domain.identity import User
from infrastructure.persistence.database import create_session_factory
from infrastructure.persistence.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 1, 1, tzinfo=UTC)


async def test_deadlock_becomes_transient_conflict_and_a_retry_succeeds(db) -> None:
    uow_factory = SqlUnitOfWorkFactory(create_session_factory(db))
    async with uow_factory() as uow:
        a = await uow.users.add(User("a@example.com", "aaa", "h", created_at=NOW, updated_at=NOW))
        b = await uow.users.add(User("b@example.com", "bbb", "h", created_at=NOW, updated_at=NOW))
        await uow.commit()
    first_locked = asyncio.Event(), asyncio.Event()
    attempts = {"x": 0, "y": 0}

    async def lock_in_order(
        name: str, ids: tuple[int | None, int | None], mine: asyncio.Event, other: asyncio.Event
    ) -> None:
        attempts[name] += 1
        async with uow_factory() as uow:
            stmt = text("UPDATE users SET full_name = :n WHERE id = :i")
            await uow.session.execute(stmt, {"n": name, "i": ids[0]})
            mine.set()
            await asyncio.wait_for(other.wait(), 5)
            await uow.session.execute(stmt, {"n": name, "i": ids[1]})
            await uow.commit()

    x = retry_transient(
        lambda: lock_in_order("x", (a.id, b.id), first_locked[0], first_locked[1]), base_delay=0.05
    )
    y = retry_transient(
        lambda: lock_in_order("y", (b.id, a.id), first_locked[1], first_locked[0]), base_delay=0.05
    )
    results = await asyncio.gather(x, y, return_exceptions=True)
    assert results == [None, None], results
    assert attempts["x"] + attempts["y"] == 3  # exactly one victim, retried once


async def test_without_retry_the_victim_sees_transient_conflict(db) -> None:
    uow_factory = SqlUnitOfWorkFactory(create_session_factory(db))
    async with uow_factory() as uow:
        a = await uow.users.add(User("a@example.com", "aaa", "h", created_at=NOW, updated_at=NOW))
        b = await uow.users.add(User("b@example.com", "bbb", "h", created_at=NOW, updated_at=NOW))
        await uow.commit()
    locked = asyncio.Event(), asyncio.Event()

    async def run(ids: tuple[int | None, int | None], mine: asyncio.Event, other: asyncio.Event) -> None:
        async with uow_factory() as uow:
            stmt = text("UPDATE users SET full_name = 'z' WHERE id = :i")
            await uow.session.execute(stmt, {"i": ids[0]})
            mine.set()
            await asyncio.wait_for(other.wait(), 5)
            await uow.session.execute(stmt, {"i": ids[1]})
            await uow.commit()

    results = await asyncio.gather(
        run((a.id, b.id), locked[0], locked[1]),
        run((b.id, a.id), locked[1], locked[0]),
        return_exceptions=True,
    )
    assert sum(isinstance(r, TransientConflict) for r in results) == 1, results
    assert sum(r is None for r in results) == 1
