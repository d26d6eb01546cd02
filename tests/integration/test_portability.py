"""The traps of a MySQL-family engine, as contract tests: each holds on the fakes, SQLite,
PostgreSQL and MariaDB alike (the ``backend`` fixture), or, where SQLite's lenient types differ by
design, on both servers (``server_db``).

* Text equality: exact, case and trailing spaces included (MariaDB's default collation ignores
  both; Bazaar's tables are ``utf8mb4_nopad_bin``).
* Case-insensitive uniqueness (usernames, an owner's titles) without expression indexes.
* Timestamps: microseconds kept, any offset stored as the same instant, handed back aware UTC.
* Upserts (tags, login throttle) without ON CONFLICT; never INSERT IGNORE: a value the column
  cannot hold is an error, not a warning and a truncated row.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from application.errors import UnstorableValue
from domain.catalog import Item
from domain.errors import AlreadyExists
from domain.identity import User
from tests.conftest import build_container
from tests.integration.conftest import Backend

T0 = datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)


async def test_text_equality_counts_case_and_trailing_spaces(backend: Backend) -> None:
    await backend.user("Ann")
    async with backend.uow() as uow:
        assert await uow.users.get_by_email("ann@x.io") is not None
        assert await uow.users.get_by_email("ANN@x.io") is None
        assert await uow.users.get_by_email("ann@x.io ") is None
        ids = await uow.tags.ensure(["lamp", "lamp ", "Lamp"])
        await uow.commit()
    assert len(set(ids.values())) == 3, ids
    async with backend.uow() as uow:
        assert await uow.tags.ensure(["lamp ", "lamp"]) == {"lamp ": ids["lamp "], "lamp": ids["lamp"]}


async def test_usernames_are_unique_ignoring_case_only(backend: Backend) -> None:
    async def add(email: str, username: str) -> None:
        async with backend.uow() as uow:
            await uow.users.add(
                User(email=email, username=username, password_hash="h", created_at=T0, updated_at=T0)
            )
            await uow.commit()

    await add("ann@x.io", "Ann")
    with pytest.raises(AlreadyExists) as info:
        await add("other@x.io", "aNN")
    assert (info.value.entity, info.value.field) == ("User", "username")
    # A trailing space makes another name (PostgreSQL's equality; MariaDB's PAD SPACE would not).
    await add("spaced@x.io", "ann ")
    async with backend.uow() as uow:
        found = await uow.users.get_by_login("ann")
        assert found is not None and found.username == "Ann"
        found = await uow.users.get_by_login("ann ")
        assert found is not None and found.email == "spaced@x.io"


async def test_titles_are_unique_per_owner_ignoring_case_only(backend: Backend) -> None:
    owner, other = await backend.user("owner"), await backend.user("other")

    async def add(title: str, owner_id: int = owner) -> None:
        async with backend.uow() as uow:
            await uow.items.add(Item.new(title=title, price="1", owner_id=owner_id, now=T0))
            await uow.commit()

    await add("Oak Table")
    with pytest.raises(AlreadyExists):
        await add("OAK TABLE")
    await add("Oak Table ")  # not the same title
    await add("OAK TABLE", other)  # another owner


async def test_timestamps_keep_microseconds_and_come_back_aware_utc(backend: Backend) -> None:
    owner = await backend.user("clock")
    # The same instant, written with another offset (the SQL types convert; the fakes, given only
    # the clock's UTC by the use cases, keep what they are given).
    local = T0.astimezone(timezone(timedelta(hours=2))) if backend.fake is None else T0
    async with backend.uow() as uow:
        first = await uow.items.add(Item.new(title="a", price="1", owner_id=owner, now=local))
        second = await uow.items.add(
            Item.new(title="b", price="1", owner_id=owner, now=T0 + timedelta(microseconds=1))
        )
        await uow.commit()
    assert first.id is not None and second.id is not None
    view = await backend.items.get(first.id)
    assert view is not None
    assert view.created_at == T0 and view.created_at.utcoffset() == timedelta(0)
    assert view.created_at.tzinfo is not None and view.created_at.microsecond == 123456
    async with backend.uow() as uow:
        loaded = await uow.items.get(second.id)
    assert loaded is not None and loaded.created_at - T0 == timedelta(microseconds=1)


async def test_values_a_column_cannot_hold_fail_loudly(server_db: AsyncEngine) -> None:
    """PostgreSQL and MariaDB (strict mode, no INSERT IGNORE): too long is an error, never a
    truncated row with a warning. (SQLite does not enforce VARCHAR lengths; the domain does.)"""
    uow_factory = build_container(server_db).core.uow()
    with pytest.raises(UnstorableValue):
        async with uow_factory() as uow:
            await uow.tags.ensure(["x" * 51])
            await uow.commit()
    async with server_db.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM tags")) == 0
