"""In-memory fakes of every port, for unit tests that run in milliseconds.

The fakes enforce what the database enforces (unique email and case-insensitive username,
transactions, savepoints), and the repository contract tests run the same assertions against
them and against SQLite and PostgreSQL, so a fake cannot drift from the real adapters.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

from application.pagination import Key, PageRequest, Slice
from application.views import UserFilter, UserStatsView, UserView
from domain.errors import AlreadyExists, Unauthorized
from domain.identity import User

# --- the in-memory database -------------------------------------------------------------------


@dataclass
class FakeState:
    users: dict[int, User] = field(default_factory=dict)
    login_attempts: list[tuple[str, datetime]] = field(default_factory=list)
    next_id: dict[str, int] = field(default_factory=dict)

    def new_id(self, table: str) -> int:
        self.next_id[table] = self.next_id.get(table, 0) + 1
        return self.next_id[table]


class FakeDatabase:
    """Committed state; each unit of work works on a deep copy and swaps it in on commit."""

    def __init__(self) -> None:
        self.state = FakeState()
        self.commits = 0


def _check_unique_user(state: FakeState, user: User) -> None:
    for other in state.users.values():
        if other.id == user.id:
            continue
        if other.email == user.email:
            raise AlreadyExists("User", "email")
        if other.username.lower() == user.username.lower():
            raise AlreadyExists("User", "username")


class FakeUserRepository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def _users(self) -> dict[int, User]:
        return self._uow.state.users

    async def add(self, user: User) -> User:
        _check_unique_user(self._uow.state, user)
        user.id = self._uow.state.new_id("users")
        self._users[user.id] = copy.deepcopy(user)
        return user

    async def get(self, user_id: int) -> User | None:
        user = self._users.get(user_id)
        return copy.deepcopy(user) if user else None

    async def get_by_email(self, email: str) -> User | None:
        return next((copy.deepcopy(u) for u in self._users.values() if u.email == email), None)

    async def get_by_login(self, login: str) -> User | None:
        return next(
            (copy.deepcopy(u) for u in self._users.values() if login in (u.email, u.username.lower())),
            None,
        )

    async def update(self, user: User) -> None:
        assert user.id in self._users
        _check_unique_user(self._uow.state, user)
        self._users[user.id] = copy.deepcopy(user)

    async def delete(self, user_id: int) -> None:
        self._users.pop(user_id, None)

    async def activate(self, user_ids: Sequence[int], now: datetime) -> int:
        changed = 0
        for user_id in user_ids:
            user = self._users.get(user_id)
            if user and not user.is_deleted and not user.is_active:
                user.is_active, user.updated_at = True, now
                changed += 1
        return changed


class FakeLoginAttemptRepository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    async def failures_since(self, key: str, since: datetime) -> list[datetime]:
        return [at for k, at in self._uow.state.login_attempts if k == key and at >= since]

    async def record_failure(self, key: str, at: datetime) -> None:
        self._uow.state.login_attempts.append((key, at))

    async def clear(self, key: str) -> None:
        self._uow.state.login_attempts = [a for a in self._uow.state.login_attempts if a[0] != key]


class FakeUnitOfWork:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db
        self.committed = False

    async def __aenter__(self) -> FakeUnitOfWork:
        self.state = copy.deepcopy(self._db.state)
        self.users = FakeUserRepository(self)
        self.login_attempts = FakeLoginAttemptRepository(self)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.state = copy.deepcopy(self._db.state)  # anything not committed is gone

    async def commit(self) -> None:
        self._db.state = copy.deepcopy(self.state)
        self._db.commits += 1
        self.committed = True

    async def rollback(self) -> None:
        self.state = copy.deepcopy(self._db.state)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        saved = copy.deepcopy(self.state)
        try:
            yield
        except BaseException:
            self.state = saved
            self.users, self.login_attempts = FakeUserRepository(self), FakeLoginAttemptRepository(self)
            raise


class FakeUnitOfWorkFactory:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.db)


# --- read side ----------------------------------------------------------------------------------


def _sort_value(view: Any, field_name: str) -> Any:
    return getattr(view, field_name)


def fake_page(views: list[Any], page: PageRequest, key_value: Any = _sort_value) -> Slice[Any]:
    """Sort, apply the keyset or offset, cut: the same semantics as ``fetch_page``."""
    sort = page.sort
    views = sorted(views, key=lambda v: (key_value(v, sort.field), v.id), reverse=sort.descending)
    if page.after is not None:
        after = (_decode_key(page.after[0], views, sort.field, key_value), page.after[1])

        def beyond(v: Any) -> bool:
            key = (key_value(v, sort.field), v.id)
            return key < after if sort.descending else key > after

        rest = [v for v in views if beyond(v)]
    else:
        rest = views[page.offset :]
    chosen = rest[: page.limit]
    next_key: Key | None = None
    if len(rest) > page.limit:
        last = chosen[-1]
        next_key = (_encode_key(key_value(last, sort.field)), last.id)
    return Slice(chosen, len(views), next_key)


def _encode_key(value: Any) -> Any:
    return (
        value.isoformat() if isinstance(value, datetime) else value if isinstance(value, int) else str(value)
    )


def _decode_key(raw: Any, views: list[Any], field_name: str, key_value: Any) -> Any:
    sample = next((key_value(v, field_name) for v in views), None)
    if isinstance(sample, datetime):
        return datetime.fromisoformat(raw)
    if sample is not None and not isinstance(sample, (str, int)):
        return type(sample)(raw)
    return raw


class FakeUserQueries:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db

    def _live(self) -> list[User]:
        return [u for u in self._db.state.users.values() if not u.is_deleted]

    async def private_view(self, user_id: int) -> UserView | None:
        return next((UserView.of(u) for u in self._live() if u.id == user_id), None)

    async def list(self, flt: UserFilter, page: PageRequest) -> Slice[UserView]:
        def matches(u: User) -> bool:
            if flt.is_active is not None and u.is_active != flt.is_active:
                return False
            if flt.q:
                q = flt.q.lower()
                return any(q in (s or "").lower() for s in (u.email, u.username, u.full_name))
            return True

        return fake_page([UserView.of(u) for u in self._live() if matches(u)], page)

    async def stats(self) -> UserStatsView:
        live = self._live()
        return UserStatsView(total_users=len(live), active_users=sum(u.is_active for u in live))


# --- security and time -------------------------------------------------------------------------


class FakeHasher:
    """Hashes are ``v<version>$<password>``; bumping ``version`` makes old hashes outdated."""

    def __init__(self) -> None:
        self.version = 1
        self.unknown_user_checks = 0

    async def hash(self, password: str) -> str:
        return f"v{self.version}${password}"

    async def verify(self, password: str, password_hash: str | None) -> tuple[bool, str | None]:
        if password_hash is None:
            self.unknown_user_checks += 1
            return False, None
        version, _, stored = password_hash.partition("$")
        if stored != password:
            return False, None
        return True, (await self.hash(password) if version != f"v{self.version}" else None)


class FakeTokens:
    expires_in = 3600

    def issue(self, user_id: int) -> str:
        return f"token-for-{user_id}"

    def subject(self, token: str) -> int:
        prefix, _, raw = token.rpartition("-")
        if prefix != "token-for" or not raw.isdigit():
            raise Unauthorized("Could not validate credentials")
        return int(raw)


class FakeClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        self.current += timedelta(microseconds=1)  # strictly increasing, like real timestamps
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


def view_with(view: UserView, **changes: Any) -> UserView:
    return replace(view, **changes)
