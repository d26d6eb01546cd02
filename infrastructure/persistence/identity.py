"""Identity adapters: the user and login-attempt repositories (write side, inside a unit of
work) and the user query service (read side, autocommit connection, one statement per call)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Table,
    and_,
    bindparam,
    case,
    delete,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from application.identity.ports import Attempts
from application.identity.views import ProfileView, TopUserView, UserFilter, UserStatsView, UserView
from application.pagination import PageRequest, Slice
from domain.identity import Profile, User
from infrastructure.observability.metrics import LOGIN_FAILURES
from infrastructure.persistence.database import ReadPath
from infrastructure.persistence.models import (
    ItemRow,
    LoginThrottleRow,
    PostRow,
    ProfileRow,
    UserRow,
    is_mysql_family,
)
from infrastructure.persistence.queries import by_datetime, by_text, contains, fetch_page, read_first, reading


def _to_entity(row: UserRow) -> User:
    profile = Profile(bio=row.profile.bio, avatar_url=row.profile.avatar_url) if row.profile else None
    return User(
        id=row.id,
        email=row.email,
        username=row.username,
        password_hash=row.password_hash,
        full_name=row.full_name,
        is_active=row.is_active,
        is_superuser=row.is_superuser,
        is_deleted=row.is_deleted,
        deleted_at=row.deleted_at,
        profile=profile,
        token_version=row.token_version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


_USER_FIELDS = (
    "email",
    "username",
    "password_hash",
    "full_name",
    "is_active",
    "is_superuser",
    "is_deleted",
    "deleted_at",
    "created_at",
    "updated_at",
    "token_version",
)


def _copy_to_row(user: User, row: UserRow) -> None:
    for name in _USER_FIELDS:
        setattr(row, name, getattr(user, name))
    if user.profile is None:
        row.profile = None
    elif row.profile is None:
        row.profile = ProfileRow(bio=user.profile.bio, avatar_url=user.profile.avatar_url)
    else:
        row.profile.bio, row.profile.avatar_url = user.profile.bio, user.profile.avatar_url


class SqlUserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._rows: dict[int, UserRow] = {}

    async def _one(self, *where: Any) -> User | None:
        stmt = select(UserRow).options(joinedload(UserRow.profile)).where(*where)
        row = (await self._session.scalars(stmt)).first()
        if row is None:
            return None
        self._rows[row.id] = row
        return _to_entity(row)

    async def add(self, user: User) -> User:
        row = UserRow()
        _copy_to_row(user, row)
        self._session.add(row)
        await self._session.flush()
        self._rows[row.id] = row
        user.id = row.id
        return user

    async def get(self, user_id: int) -> User | None:
        return await self._one(UserRow.id == user_id)

    async def get_by_email(self, email: str) -> User | None:
        return await self._one(UserRow.email == email)

    async def get_by_login(self, login: str) -> User | None:
        return await self._one(or_(UserRow.email == login, UserRow.username_lower == login))

    async def update(self, user: User) -> None:
        assert user.id is not None
        _copy_to_row(user, self._rows[user.id])
        await self._session.flush()

    async def delete(self, user_id: int) -> None:
        self._rows.pop(user_id, None)
        await self._session.execute(delete(UserRow).where(UserRow.id == user_id))

    async def activate(self, user_ids: Sequence[int], now: datetime) -> int:
        stmt = (
            update(UserRow)
            .where(UserRow.id.in_(user_ids), UserRow.is_deleted == false(), UserRow.is_active == false())
            .values(is_active=True, updated_at=now)
        )
        result = await self._session.execute(stmt)
        return int(result.rowcount)  # type: ignore[attr-defined]


class SqlLoginThrottleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def count_attempt(self, key: str, now: datetime, window: timedelta) -> Attempts:
        # INSERT ... ON CONFLICT DO UPDATE (MariaDB: ON DUPLICATE KEY UPDATE) takes the key's row
        # lock: a concurrent attempt on the same key waits for this transaction and then counts
        # on top of it.
        expired = _throttles.c.window_started_at < now - window
        started = literal(now, _throttles.c.window_started_at.type)  # the column's UTC conversion
        changes = [
            # MariaDB assigns left to right, each seeing the ones before: attempts first, while
            # window_started_at still holds the old window.
            ("attempts", case((expired, 1), else_=_throttles.c.attempts + 1)),
            ("window_started_at", case((expired, started), else_=_throttles.c.window_started_at)),
        ]
        dialect = self._session.get_bind().dialect
        values = {"key": key, "window_started_at": now, "attempts": 1}
        if is_mysql_family(dialect):
            stmt: Any = mysql.insert(_throttles).values(values).on_duplicate_key_update(changes)
        else:
            insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
            stmt = (
                insert(_throttles)
                .values(values)
                .on_conflict_do_update(index_elements=[_throttles.c.key], set_=dict(changes))
            )
        columns = (_throttles.c.attempts, _throttles.c.window_started_at)
        if dialect.insert_returning:  # MariaDB 10.5+ returns the row inserted or updated
            row = (await self._session.execute(stmt.returning(*columns))).one()
        else:  # MySQL: the row is locked by the upsert, so reading it back is exact
            await self._session.execute(stmt)
            row = (await self._session.execute(select(*columns).where(_throttles.c.key == key))).one()
        return Attempts(count=int(row.attempts), window_started_at=row.window_started_at)

    async def forget(self, keys: Sequence[str]) -> None:
        await self._session.execute(delete(_throttles).where(_throttles.c.key.in_(list(keys))))

    async def refused(self) -> None:
        LOGIN_FAILURES.inc()  # the one place a wrong guess is known to be wrong

    async def purge(self, before: datetime) -> int:
        result = await self._session.execute(
            delete(_throttles).where(_throttles.c.window_started_at < before)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


TOP_USERS = 10

# --- read side ------------------------------------------------------------------------------------

_users = UserRow.__table__
_throttles = cast(Table, LoginThrottleRow.__table__)
_profiles = ProfileRow.__table__
_posts = cast(Table, PostRow.__table__)
_USER_COLUMNS = (
    _users.c.id,
    _users.c.email,
    _users.c.username,
    _users.c.full_name,
    _users.c.is_active,
    _users.c.is_superuser,
    _users.c.created_at,
    _users.c.updated_at,
    _users.c.token_version,
    _profiles.c.user_id.label("profile_user_id"),
    _profiles.c.bio,
    _profiles.c.avatar_url,
)
_USER_SOURCE = _users.outerjoin(_profiles, _profiles.c.user_id == _users.c.id)
_USER_SORTS = {
    "created_at": by_datetime(_users.c.created_at),
    "email": by_text(_users.c.email),
    "username": by_text(_users.c.username),
}


# Built once: SQLAlchemy memoises the cache key on the statement object, so the read behind every
# authenticated request does not rebuild and re-hash its statement.
_PRIVATE_VIEW = (
    select(*_USER_COLUMNS)
    .select_from(_USER_SOURCE)
    .where(_users.c.id == bindparam("user_id"), _users.c.is_deleted == false())
)


def _user_view(row: Any) -> UserView:
    m = row._mapping
    profile = ProfileView(m["bio"], m["avatar_url"]) if m["profile_user_id"] is not None else None
    return UserView(
        id=m["id"],
        email=m["email"],
        username=m["username"],
        full_name=m["full_name"],
        is_active=m["is_active"],
        is_superuser=m["is_superuser"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        profile=profile,
        token_version=m["token_version"],
    )


class SqlUserQueries:
    def __init__(self, reads: ReadPath) -> None:
        self._reads = reads

    async def private_view(self, user_id: int) -> UserView | None:
        row = await read_first(self._reads, _PRIVATE_VIEW, {"user_id": user_id})
        return _user_view(row) if row is not None else None

    async def list(self, flt: UserFilter, page: PageRequest) -> Slice[UserView]:
        where = [_users.c.is_deleted == false()]
        if flt.q:
            where.append(
                or_(
                    contains(_users.c.email, flt.q),
                    contains(_users.c.username, flt.q),
                    contains(_users.c.full_name, flt.q),
                )
            )
        if flt.is_active is not None:
            where.append(_users.c.is_active == (true() if flt.is_active else false()))
        if flt.posted_since is not None:  # a correlated EXISTS on (author_id, created_at, id)
            where.append(
                exists().where(_posts.c.author_id == _users.c.id, _posts.c.created_at >= flt.posted_since)
            )
        async with reading(self._reads) as conn:
            rows, total, next_key = await fetch_page(
                conn, _USER_COLUMNS, _USER_SOURCE, where, _USER_SORTS, _users.c.id, page
            )
        return Slice([_user_view(r) for r in rows], total, next_key)

    async def stats(self) -> UserStatsView:
        live = _users.c.is_deleted == false()
        # count(CASE ...) rather than count(*) FILTER (WHERE ...), which MariaDB lacks.
        stmt = select(
            func.count(case((live, 1))),
            func.count(case((and_(live, _users.c.is_active == true()), 1))),
        ).select_from(_users)
        items = ItemRow.__table__
        item_count = func.count(items.c.id).label("item_count")
        top = (
            select(_users.c.id, _users.c.username, item_count)
            .select_from(_users.join(items, items.c.owner_id == _users.c.id))
            .where(live)
            .group_by(_users.c.id, _users.c.username)
            .order_by(item_count.desc(), _users.c.id)
            .limit(TOP_USERS)
        )
        async with reading(self._reads) as conn:
            total, active = (await conn.execute(stmt)).one()
            top_users = [TopUserView(r.id, r.username, r.item_count) for r in await conn.execute(top)]
        return UserStatsView(total_users=total, active_users=active, top_users=top_users)
