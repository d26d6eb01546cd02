"""Repository and query contract for identity: the same assertions against the in-memory fakes,
SQLite and PostgreSQL, so the fakes the unit tests trust cannot drift from the adapters."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.identity.views import UserFilter
from application.pagination import PageRequest, Sort
from domain.errors import AlreadyExists
from domain.identity import Profile, User
from tests.conftest import build_container
from tests.integration.conftest import Backend

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _user(name: str, **extra: Any) -> User:
    at = extra.pop("at", T0)
    email = extra.pop("email", f"{name.lower()}@example.com")
    return User(email=email, username=name, password_hash="h", created_at=at, updated_at=at, **extra)


async def _add(backend: Backend, *users: User) -> list[User]:
    async with backend.uow() as uow:
        stored = [await uow.users.add(u) for u in users]
        await uow.commit()
    return stored


async def test_add_and_get(backend: Backend) -> None:
    (ann,) = await _add(backend, _user("Ann", full_name="Ann A", profile=Profile("bio", None)))
    assert ann.id is not None
    async with backend.uow() as uow:
        loaded = await uow.users.get(ann.id)
        by_login = await uow.users.get_by_login("ann")
        by_email = await uow.users.get_by_login("ann@example.com")
        assert await uow.users.get(ann.id + 1000) is None
    assert loaded is not None and by_login is not None and by_email is not None
    assert loaded.username == "Ann" and loaded.full_name == "Ann A"
    assert loaded.profile == Profile("bio", None)
    assert loaded.created_at == T0 and loaded.created_at.tzinfo is not None
    assert by_login.id == by_email.id == ann.id


@pytest.mark.parametrize(
    ("other", "field"),
    [
        (dict(email="ann@example.com", username="x"), "email"),
        (dict(email="x@example.com", username="ANN"), "username"),
    ],
)
async def test_unique_violations_name_the_field(backend: Backend, other: dict[str, str], field: str) -> None:
    await _add(backend, _user("ann"))
    with pytest.raises(AlreadyExists) as caught:
        await _add(backend, User(password_hash="h", created_at=T0, updated_at=T0, **other))
    assert caught.value.field == field


async def test_uncommitted_work_is_rolled_back(backend: Backend) -> None:
    async with backend.uow() as uow:
        await uow.users.add(_user("ann"))
    async with backend.uow() as uow:
        assert await uow.users.get_by_login("ann") is None


async def test_savepoint_undoes_only_its_block(backend: Backend) -> None:
    async with backend.uow() as uow:
        await uow.users.add(_user("ann"))
        with pytest.raises(AlreadyExists):
            async with uow.savepoint():
                await uow.users.add(_user("bob"))
                await uow.users.add(_user("ANN", email="ann2@example.com"))
        await uow.users.add(_user("carl"))
        await uow.commit()
    async with backend.uow() as uow:
        names = [await uow.users.get_by_login(n) for n in ("ann", "bob", "carl")]
    assert [n is not None for n in names] == [True, False, True]


async def test_update_including_profile(backend: Backend) -> None:
    (ann,) = await _add(backend, _user("ann"))
    assert ann.id is not None
    for profile in (Profile("one", "https://a.io/x"), Profile("two", None), None):
        async with backend.uow() as uow:
            user = await uow.users.get(ann.id)
            assert user is not None
            user.edit(T0 + timedelta(days=1), full_name="Ann")
            user.replace_profile(T0 + timedelta(days=1), profile)
            await uow.users.update(user)
            await uow.commit()
        async with backend.uow() as uow:
            again = await uow.users.get(ann.id)
        assert again is not None and again.profile == profile and again.full_name == "Ann"
        assert again.updated_at == T0 + timedelta(days=1)


async def test_delete_and_activate(backend: Backend) -> None:
    users = await _add(
        backend,
        _user("ann", is_active=False),
        _user("bob", is_active=False),
        _user("carl"),
        _user("dora", is_active=False, is_deleted=True),
    )
    ids = [u.id for u in users if u.id is not None]
    async with backend.uow() as uow:
        assert await uow.users.activate([*ids, 999], T0) == 2
        await uow.users.delete(ids[2])
        await uow.commit()
    async with backend.uow() as uow:
        assert await uow.users.get(ids[2]) is None
        ann = await uow.users.get(ids[0])
        dora = await uow.users.get(ids[3])
    assert ann is not None and ann.is_active
    assert dora is not None and not dora.is_active


async def test_login_throttle_counts_per_key_in_windows(backend: Backend) -> None:
    window = timedelta(minutes=15)
    async with backend.uow() as uow:
        counts = [(await uow.login_throttle.count_attempt("user:1|a", T0, window)).count for _ in range(3)]
        other = await uow.login_throttle.count_attempt("user:1", T0 + timedelta(minutes=1), window)
        await uow.commit()
    assert counts == [1, 2, 3] and (other.count, other.window_started_at) == (1, T0 + timedelta(minutes=1))
    async with backend.uow() as uow:  # still inside the window: counts on, from its start
        later = await uow.login_throttle.count_attempt("user:1|a", T0 + timedelta(minutes=14), window)
        assert (later.count, later.window_started_at) == (4, T0)
        # the window ended: a new one starts now
        fresh = await uow.login_throttle.count_attempt("user:1|a", T0 + timedelta(minutes=16), window)
        assert (fresh.count, fresh.window_started_at) == (1, T0 + timedelta(minutes=16))
        await uow.commit()
    async with backend.uow() as uow:
        await uow.login_throttle.forget(["user:1|a"])
        assert (
            await uow.login_throttle.count_attempt("user:1|a", T0 + timedelta(minutes=17), window)
        ).count == 1
        assert await uow.login_throttle.purge(T0 + timedelta(minutes=2)) == 1  # "user:1" began at T0+1
        await uow.commit()
    async with backend.uow() as uow:
        again = await uow.login_throttle.count_attempt("user:1", T0 + timedelta(minutes=3), window)
        assert again.count == 1  # purged: starts afresh
        uncommitted = await uow.login_throttle.count_attempt("user:2", T0, window)
        assert uncommitted.count == 1
    async with backend.uow() as uow:  # rolled back: not counted
        assert (await uow.login_throttle.count_attempt("user:2", T0, window)).count == 1


async def test_concurrent_attempts_on_one_key_are_counted_one_after_the_other(server_db) -> None:
    """PostgreSQL and MariaDB: 20 transactions count on one key at once; each sees a distinct
    count (the upsert locks the key's row)."""
    container = build_container(server_db)
    uow_factory = container.core.uow()

    async def attempt() -> int:
        async with uow_factory() as uow:
            found = await uow.login_throttle.count_attempt("user:9|x", T0, timedelta(minutes=15))
            await asyncio.sleep(0.01)  # hold the row while the others queue behind it
            await uow.commit()
            return found.count

    counts = await asyncio.gather(*(attempt() for _ in range(20)))
    assert sorted(counts) == list(range(1, 21))


async def test_queries_view_list_and_stats(backend: Backend) -> None:
    users = await _add(
        backend,
        *(_user(f"user{i}", at=T0 + timedelta(minutes=i % 3), is_active=i % 2 == 0) for i in range(8)),
        _user("gone", is_deleted=True),
    )
    assert await backend.users.private_view(users[-1].id) is None
    view = await backend.users.private_view(users[0].id)
    assert view is not None and view.username == "user0"
    for sort in (Sort("created_at"), Sort("created_at", True), Sort("username", True)):
        seen, after = [], None
        while True:
            found = await backend.users.list(UserFilter(), PageRequest(sort, 3, 0, after))
            seen += [u.id for u in found.items]
            assert found.total == 8
            if found.next_key is None:
                break
            after = found.next_key
        assert len(set(seen)) == 8
    active = await backend.users.list(UserFilter(is_active=True, q="USER"), PageRequest(Sort("email"), 10))
    assert [u.username for u in active.items] == ["user0", "user2", "user4", "user6"]
    stats = await backend.users.stats()
    assert (stats.total_users, stats.active_users) == (8, 4)
