"""A real deadlock on PostgreSQL and MariaDB (40P01, 1213) surfaces from the unit of work as
``TransientConflict``, and the transaction helper reruns the victim's whole work. On MariaDB a
lock-wait timeout (1205, which rolls back only the statement) does the same; and READ COMMITTED
takes no gap locks, so a range locked by one writer does not block another's unrelated insert."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from application.errors import TransientConflict
from application.transactions import RetryPolicy, Transactions
from domain.identity import User
from infrastructure.persistence.database import create_engine, create_session_factory
from infrastructure.persistence.models import ItemRow, UserRow
from infrastructure.persistence.uow import SqlUnitOfWork, SqlUnitOfWorkFactory
from tests import conftest

NOW = datetime(2026, 1, 1, tzinfo=UTC)
Work = Callable[[SqlUnitOfWork], Awaitable[None]]


async def crossing_updates(db) -> tuple[SqlUnitOfWorkFactory, Work, Work, dict[str, int]]:
    """Two units of work that update users a and b in opposite orders, each waiting until the
    other holds its first lock: the server must abort one of them with a deadlock."""
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


async def test_deadlock_becomes_transient_conflict_and_the_helper_reruns_the_victim(server_db) -> None:
    uow_factory, x, y, attempts = await crossing_updates(server_db)
    tx = Transactions(uow_factory, RetryPolicy(base_delay=0.05))
    results = await asyncio.gather(tx(x), tx(y), return_exceptions=True)
    assert results == [None, None], results
    assert attempts["x"] + attempts["y"] == 3  # exactly one victim, rerun once


async def test_without_retry_the_victim_sees_transient_conflict(server_db) -> None:
    uow_factory, x, y, _ = await crossing_updates(server_db)
    once = Transactions(uow_factory, RetryPolicy(attempts=1))
    results = await asyncio.gather(once(x), once(y), return_exceptions=True)
    assert sum(isinstance(r, TransientConflict) for r in results) == 1, results
    assert sum(r is None for r in results) == 1


async def test_a_lock_wait_timeout_on_mariadb_reruns_the_whole_use_case(mariadb_db) -> None:
    """1205 rolls back the statement only; the unit of work rolls the rest back on leaving, and
    the helper reruns the work in a fresh transaction, which succeeds once the lock is free."""
    settings = conftest.test_settings(
        mariadb_db.url.render_as_string(hide_password=False), db_command_timeout=2.5
    )
    engine = create_engine(settings)  # innodb_lock_wait_timeout = 1 s
    try:
        uow_factory = SqlUnitOfWorkFactory(create_session_factory(engine))
        async with uow_factory() as uow:
            user = await uow.users.add(User("l@example.com", "lll", "h", created_at=NOW, updated_at=NOW))
            await uow.commit()
        attempts = 0

        async def rename(uow: SqlUnitOfWork) -> None:
            nonlocal attempts
            attempts += 1
            await uow.session.execute(
                text("INSERT INTO login_throttles VALUES (:k, :at, 1)"), {"k": f"k{attempts}", "at": NOW}
            )
            await uow.session.execute(text("UPDATE users SET full_name = 'w' WHERE id = :i"), {"i": user.id})

        async with mariadb_db.connect() as holder:
            await holder.execute(text("SELECT id FROM users WHERE id = :i FOR UPDATE"), {"i": user.id})
            once = Transactions(uow_factory, RetryPolicy(attempts=1))
            with pytest.raises(TransientConflict):
                await once(rename)
            retrying = asyncio.create_task(
                Transactions(uow_factory, RetryPolicy(attempts=3, base_delay=0.05))(rename)
            )
            await asyncio.sleep(0.3)
            await holder.rollback()  # the lock goes while the helper is waiting or retrying
        await retrying
        async with engine.connect() as conn:
            keys = (
                (await conn.execute(text("SELECT `key` FROM login_throttles ORDER BY `key`"))).scalars().all()
            )
            name = await conn.scalar(text("SELECT full_name FROM users WHERE id = :i"), {"i": user.id})
        assert name == "w"
        assert keys == [f"k{attempts}"], "only the attempt that committed left its insert behind"
    finally:
        await engine.dispose()


async def test_read_committed_takes_no_gap_locks(server_db) -> None:
    """One writer locks the items of an owner (a range: REPEATABLE READ would lock the gaps
    around it too); another writer's insert for a different owner must not wait for it."""
    factory = create_session_factory(server_db)
    async with factory() as session:
        owners = []
        for n in (1, 2, 3):
            user = UserRow(
                email=f"g{n}@example.com",
                username=f"gap{n}",
                password_hash="h",
                created_at=NOW,
                updated_at=NOW,
            )
            session.add(user)
            await session.flush()
            owners.append(user.id)
        for owner in (owners[0], owners[2]):
            session.add(ItemRow(title="t", price=Decimal(1), owner_id=owner, created_at=NOW, updated_at=NOW))
        await session.commit()
    async with factory() as locker, factory() as inserter:
        locked = await locker.execute(
            select(ItemRow.id).where(ItemRow.owner_id == owners[0]).with_for_update()
        )
        assert len(locked.all()) == 1
        inserter.add(
            ItemRow(title="new", price=Decimal(2), owner_id=owners[1], created_at=NOW, updated_at=NOW)
        )
        await asyncio.wait_for(inserter.commit(), 1.0)  # would wait for the locker under gap locks
        await locker.rollback()
