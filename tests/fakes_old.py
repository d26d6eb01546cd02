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
from decimal import ROUND_HALF_UP, Decimal
from types import TracebackType
from typing import Any

from application.common import TransientConflict
from application.pagination import Key, PageRequest, Slice
from application.views import (
    ItemFilter,
    ItemStatsView,
    ItemView,
    OwnerView,
    TagView,
    TopUserView,
    UserFilter,
    UserStatsView,
    UserView,
)
from domain.catalog import CENT, Item
from domain.errors import AlreadyExists, Conflict, Unauthorized
from domain.identity import User

# --- the in-memory database -------------------------------------------------------------------


@dataclass
class FakeState:
    users: dict[int, User] = field(default_factory=dict)
    login_attempts: list[tuple[str, datetime]] = field(default_factory=list)
    items: dict[int, Item] = field(default_factory=dict)
    tags: dict[str, int] = field(default_factory=dict)  # name → id
    # Items another context references (order lines): deleting them is a Conflict, like the
    # ordering context's ON DELETE RESTRICT foreign key.
    item_references: set[int] = field(default_factory=set)
    next_id: dict[str, int] = field(default_factory=dict)

    def new_id(self, table: str) -> int:
        self.next_id[table] = self.next_id.get(table, 0) + 1
        return self.next_id[table]


class FakeDatabase:
    """Committed state; each unit of work works on a deep copy and swaps it in on commit."""

    def __init__(self) -> None:
        self.state = FakeState()
        self.commits = 0
        # The next N commits lose a race (deadlock, serialization failure), like PostgreSQL's.
        self.transient_failures = 0


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


def _check_unique_item(state: FakeState, item: Item) -> None:
    for other in state.items.values():
        if (
            other.id != item.id
            and other.owner_id == item.owner_id
            and other.title.lower() == item.title.lower()
        ):
            raise AlreadyExists("Item", "title")


class FakeTagRepository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    async def ensure(self, names: Sequence[str]) -> dict[str, int]:
        tags = self._uow.state.tags
        for name in sorted(set(names)):
            if name not in tags:
                tags[name] = self._uow.state.new_id("tags")
        return {name: tags[name] for name in names}


class FakeItemRepository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def _items(self) -> dict[int, Item]:
        return self._uow.state.items

    async def add(self, item: Item) -> Item:
        _check_unique_item(self._uow.state, item)
        assert item.owner_id in self._uow.state.users, "foreign key: unknown owner"
        await FakeTagRepository(self._uow).ensure(item.tags)
        item.id = self._uow.state.new_id("items")
        self._items[item.id] = copy.deepcopy(item)
        return item

    async def get(self, item_id: int, *, for_update: bool = False) -> Item | None:
        item = self._items.get(item_id)
        return copy.deepcopy(item) if item else None

    async def update(self, item: Item) -> None:
        assert item.id in self._items
        _check_unique_item(self._uow.state, item)
        await FakeTagRepository(self._uow).ensure(item.tags)
        self._items[item.id] = copy.deepcopy(item)

    async def delete(self, item_id: int) -> None:
        if item_id in self._uow.state.item_references:
            raise Conflict(f"Item {item_id} is referenced by orders; deactivate it instead")
        self._items.pop(item_id, None)

    async def deactivate_owned_by(self, owner_id: int, now: datetime) -> int:
        changed = 0
        for item in self._items.values():
            if item.owner_id == owner_id and item.is_active:
                item.is_active, item.updated_at = False, now
                changed += 1
        return changed


class FakeUnitOfWork:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db
        self.committed = False

    async def __aenter__(self) -> FakeUnitOfWork:
        self.state = copy.deepcopy(self._db.state)
        self._repositories()
        return self

    def _repositories(self) -> None:
        self.users = FakeUserRepository(self)
        self.login_attempts = FakeLoginAttemptRepository(self)
        self.items = FakeItemRepository(self)
        self.tags = FakeTagRepository(self)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.state = copy.deepcopy(self._db.state)  # anything not committed is gone

    async def commit(self) -> None:
        if self._db.transient_failures > 0:
            self._db.transient_failures -= 1
            raise TransientConflict("A concurrent change got in the way; please retry")
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
            self._repositories()
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
        counts = {u.id: 0 for u in live}
        for item in self._db.state.items.values():
            if item.owner_id in counts:
                counts[item.owner_id] += 1
        by_id = {u.id: u for u in live}
        ranked = sorted((c for c in counts.items() if c[1]), key=lambda c: (-c[1], c[0]))[:10]
        top = [TopUserView(uid, by_id[uid].username, n) for uid, n in ranked if uid is not None]
        return UserStatsView(
            total_users=len(live), active_users=sum(u.is_active for u in live), top_users=top
        )


@dataclass(frozen=True)
class _TagRow:
    id: int
    name: str
    item_count: int


def item_view(state: FakeState, item: Item) -> ItemView:
    assert item.id is not None and item.created_at and item.updated_at
    owner = state.users[item.owner_id]
    return ItemView(
        id=item.id,
        title=item.title,
        description=item.description,
        price=item.price,
        is_active=item.is_active,
        owner=OwnerView(item.owner_id, owner.username),
        tags=list(item.tags),
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def item_matches(item: Item | ItemView, flt: ItemFilter) -> bool:
    """The reference semantics of an item filter (also used by tests against SQL)."""
    owner_id = item.owner_id if isinstance(item, Item) else item.owner.id
    if flt.is_active is not None and item.is_active != flt.is_active:
        return False
    if flt.owner_id is not None and owner_id != flt.owner_id:
        return False
    if flt.q and flt.q.lower() not in item.title.lower():
        return False
    if flt.min_price is not None and item.price < flt.min_price:
        return False
    if flt.max_price is not None and item.price > flt.max_price:
        return False
    return all(t in item.tags for t in flt.tags)


class FakeItemQueries:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db

    async def get(self, item_id: int) -> ItemView | None:
        item = self._db.state.items.get(item_id)
        return item_view(self._db.state, item) if item else None

    async def list(self, flt: ItemFilter, page: PageRequest) -> Slice[ItemView]:
        state = self._db.state
        views = [item_view(state, i) for i in state.items.values() if item_matches(i, flt)]
        return fake_page(views, page)

    def _tag_rows(self) -> list[_TagRow]:
        counts = {name: 0 for name in self._db.state.tags}
        for item in self._db.state.items.values():
            for name in item.tags:
                counts[name] += 1
        return [_TagRow(self._db.state.tags[n], n, c) for n, c in counts.items()]

    async def tags(self, page: PageRequest) -> Slice[TagView]:
        found = fake_page(self._tag_rows(), page)
        return Slice([TagView(r.name, r.item_count) for r in found.items], found.total, found.next_key)

    async def stats(self) -> ItemStatsView:
        items = list(self._db.state.items.values())
        prices = [i.price for i in items if i.is_active]
        top = sorted((r for r in self._tag_rows() if r.item_count), key=lambda r: (-r.item_count, r.name))
        average = (
            (sum(prices, Decimal(0)) / len(prices)).quantize(CENT, rounding=ROUND_HALF_UP) if prices else None
        )
        return ItemStatsView(
            total_items=len(items),
            active_items=len(prices),
            avg_price=average,
            min_price=min(prices) if prices else None,
            max_price=max(prices) if prices else None,
            top_tags=[TagView(r.name, r.item_count) for r in top[:10]],
        )


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
