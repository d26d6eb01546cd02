"""A real deadlock on PostgreSQL surfaces from the unit of work as ``TransientConflict``, and
the transaction helper reruns the victim's whole work."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy import text

from application.errors import TransientConflict
from application.transactions import RetryPolicy, Transactions
from domain.identity import User
from infrastructure.persistence.database import create_session_factory
from infrastructure.persistence.uow import SqlUnitOfWork, SqlUnitOfWorkFactory

NOW = datetime(2026, 1, 1, tzinfo=UTC)
Work = Callable[[SqlUnitOfWork], Awaitable[None]]


async def crossing_updates(db) -> tuple[SqlUnitOfWorkFactory, Work, Work, dict[str, int]]:
    """Two units of work that update users a and b in opposite orders, each waiting until the
    other holds its first lock: PostgreSQL must abort one of them with a deadlock."""
    uow_factory = SqlUnitOfWorkFactory(create_session_factory(db))
    async with uow_factory() as uow:
        a = await uow.users.add(User("a@example.com", "aaa", "h", created_at=NOW, updated_at=NOW))
        b = await uow.users.add(User("b@example.com", "bbb", "h", created_at=NOW, updated_at=NOW))
        await uow.commit()
    locked = {"x": asyncio.Event(), "y": asyncio.Event()}
    attempts = {"x": 0, "y": 0}

    def run(name: str, other: str, order: tuple[int | None, int | None]) -> Work:
        async def work(uow: SqlUnitOfWork) -> None:
            attempts[name] += 1
            stmt = text("UPDATE users SET full_name = :n WHERE id = :i")
            await uow.session.execute(stmt, {"n": name, "i": order[0]})
            locked[name].set()
            await asyncio.wait_for(locked[other].wait(), 5)
            await uow.session.execute(stmt, {"n": name, "i": order[1]})

        return work

    return uow_factory, run("x", "y", (a.id, b.id)), run("y", "x", (b.id, a.id)), attempts


async def test_deadlock_becomes_transient_conflict_and_the_helper_reruns_the_victim(db) -> None:
    uow_factory, x, y, attempts = await crossing_updates(db)
    tx = Transactions(uow_factory, RetryPolicy(base_delay=0.05))
    results = await asyncio.gather(tx(x), tx(y), return_exceptions=True)
    assert results == [None, None], results
    assert attempts["x"] + attempts["y"] == 3  # exactly one victim, rerun once


async def test_without_retry_the_victim_sees_transient_conflict(db) -> None:
    uow_factory, x, y, _ = await crossing_updates(db)
    once = Transactions(uow_factory, RetryPolicy(attempts=1))
    results = await asyncio.gather(once(x), once(y), return_exceptions=True)
    assert sum(isinstance(r, TransientConflict) for r in results) == 1, results
    assert sum(r is None for r in results) == 1
