"""Deterministic demo data for ``bazaar seed``: users, tags, items, item tags, an account
with an opening deposit per user, and posts.

The rows are a pure function of the plan (fixed random seed), shaped like the benchmark
anchors' data (``Item 00001``, ``tag-01``, 0-3 tags per item, ~90% active). Every row has a
natural key (email, tag name, item title), and every insert is a bulk ``INSERT ... ON CONFLICT
DO NOTHING`` (multi-row VALUES through SQLAlchemy's insertmanyvalues), so a second run adds
nothing and says so. One transaction: an interrupted run leaves nothing half-seeded.

MariaDB/MySQL have no ON CONFLICT (and INSERT IGNORE would also swallow bad values): there the
rows whose natural key exists are left out before a plain bulk insert, in the same transaction.
Posts have no unique key to conflict on: on every engine the planned posts whose (author, title)
exists are left out the same way.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar, cast

from sqlalchemy import Table, func, insert, or_, select, text, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.ledger import EntryKind
from infrastructure.persistence.models import (
    AccountRow,
    EntryRow,
    ItemRow,
    PostRow,
    TagRow,
    UserRow,
    is_mysql_family,
    item_tags,
)

SEED = 20260101
T0 = datetime(2025, 1, 1, tzinfo=UTC)
CHUNK = 5000
T = TypeVar("T")

_users = cast(Table, UserRow.__table__)
_tags = cast(Table, TagRow.__table__)
_items = cast(Table, ItemRow.__table__)
_accounts = cast(Table, AccountRow.__table__)
_entries = cast(Table, EntryRow.__table__)
_posts = cast(Table, PostRow.__table__)

Progress = Callable[[str, int, int], None]  # (table, rows handled so far, rows planned)


@dataclass(frozen=True, slots=True)
class SeedPlan:
    users: int = 1000
    items: int = 10_000
    tags: int = 50
    posts: int = 5000


@dataclass(frozen=True, slots=True)
class SeedResult:
    users: int
    tags: int
    items: int
    item_tags: int
    accounts: int = 0  # one "Main" account per demo user, each with one opening deposit
    posts: int = 0

    @property
    def added_anything(self) -> bool:
        return any((self.users, self.tags, self.items, self.item_tags, self.accounts, self.posts))


def _chunks(rows: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def user_rows(plan: SeedPlan, password_hash: str) -> list[dict[str, Any]]:
    rows = []
    for u in range(1, plan.users + 1):
        at = T0 + timedelta(minutes=u)
        rows.append(
            {
                "email": f"user{u:04d}@example.com",
                "username": f"user{u:04d}",
                "full_name": f"User {u:04d}",
                "password_hash": password_hash,
                "is_active": True,
                "is_superuser": False,
                "is_deleted": False,
                "created_at": at,
                "updated_at": at,
            }
        )
    return rows


def tag_names(plan: SeedPlan) -> list[str]:
    return [f"tag-{t:02d}" for t in range(1, plan.tags + 1)]


def item_rows(plan: SeedPlan) -> tuple[list[dict[str, Any]], dict[str, list[int]]]:
    """Items (``owner`` is a 1-based user number) and, per title, the tag numbers it carries."""
    rng = random.Random(SEED)  # noqa: S311 - demo data, not secrets
    items: list[dict[str, Any]] = []
    tags_of: dict[str, list[int]] = {}
    for i in range(1, plan.items + 1):
        created = T0 + timedelta(days=30, seconds=37 * i)
        title = f"Item {i:05d}"
        items.append(
            {
                "title": title,
                "description": f"Deterministic description of item {i}. " * rng.randint(1, 4),
                "price": Decimal(rng.randint(100, 99_999_99)) / 100,
                "is_active": rng.random() < 0.9,
                "owner": rng.randint(1, plan.users),
                "created_at": created,
                "updated_at": created + timedelta(hours=rng.randint(0, 1000)),
            }
        )
        tags_of[title] = sorted(rng.sample(range(1, plan.tags + 1), rng.randint(0, min(3, plan.tags))))
    return items, tags_of


def with_user_ids(
    rows: Sequence[dict[str, Any]], role: str, user_ids: dict[str, int]
) -> list[dict[str, Any]]:
    """The rows with their ``role`` (a 1-based demo user number) as ``<role>_id``, the user's id;
    rows of a demo user that does not exist (a real user already had the username) are left out."""
    found = []
    for row in rows:
        user_id = user_ids.get(f"user{row[role]:04d}@example.com")
        if user_id is not None:
            found.append({**{k: v for k, v in row.items() if k != role}, f"{role}_id": user_id})
    return found


def _insert(conn: AsyncConnection, table: Table) -> Any:
    return postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table)


async def _insert_new(
    conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]], *returning: Any
) -> list[Any]:
    """Inserts the rows whose natural key is not taken yet; returns ``returning`` of the rows
    inserted (all of them when nothing is returned)."""
    if not rows:
        return []
    if not is_mysql_family(conn.dialect):
        stmt = _insert(conn, table).on_conflict_do_nothing()
        if table is _tags:
            stmt = _insert(conn, table).on_conflict_do_nothing(index_elements=["name"])
        if not returning:
            await conn.execute(stmt, list(rows))
            return list(rows)
        return list((await conn.execute(stmt.returning(*returning), list(rows))).all())
    taken = await _taken(conn, table, rows)
    fresh = [row for row in rows if row_key(table, row) not in taken]
    if not fresh:
        return []
    if not returning:
        await conn.execute(insert(table), fresh)
        return fresh
    return list((await conn.execute(insert(table).returning(*returning), fresh)).all())


def row_key(table: Table, row: dict[str, Any]) -> tuple[Any, ...]:
    if table is _users:
        return (row["email"], row["username"].lower())
    if table is _tags:
        return (row["name"],)
    if table is _items:
        return (row["owner_id"], row["title"].lower())
    if table is _accounts:
        return (row["owner_id"], row["name"])
    return (row["item_id"], row["tag_id"])


async def _taken(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> set[tuple[Any, ...]]:
    """The keys among ``rows`` that exist already (a user collides on email or username alone,
    so each half counts by itself)."""
    if table is _users:
        emails = [r["email"] for r in rows]
        names = [r["username"].lower() for r in rows]
        found = await conn.execute(
            select(_users.c.email, _users.c.username_lower).where(
                or_(_users.c.email.in_(emails), _users.c.username_lower.in_(names))
            )
        )
        taken_emails, taken_names = set(), set()
        for email, name in found:
            taken_emails.add(email)
            taken_names.add(name)
        return {
            row_key(table, r)
            for r in rows
            if r["email"] in taken_emails or r["username"].lower() in taken_names
        }
    if table is _tags:
        found = await conn.execute(select(_tags.c.name).where(_tags.c.name.in_([r["name"] for r in rows])))
        return {tuple(r) for r in found}
    if table is _items:
        titles = {r["title"].lower() for r in rows}
        found = await conn.execute(
            select(_items.c.owner_id, _items.c.title_lower).where(_items.c.title_lower.in_(titles))
        )
        return {tuple(r) for r in found}
    if table is _accounts:
        owners = [r["owner_id"] for r in rows]
        found = await conn.execute(
            select(_accounts.c.owner_id, _accounts.c.name).where(_accounts.c.owner_id.in_(owners))
        )
        return {tuple(r) for r in found}
    pairs = [(r["item_id"], r["tag_id"]) for r in rows]
    link = tuple_(item_tags.c.item_id, item_tags.c.tag_id)
    found = await conn.execute(select(item_tags.c.item_id, item_tags.c.tag_id).where(link.in_(pairs)))
    return {tuple(r) for r in found}


async def seed(engine: AsyncEngine, plan: SeedPlan, password_hash: str, progress: Progress) -> SeedResult:
    if (plan.items or plan.posts) and not plan.users:
        raise ValueError("items and posts need at least one user")
    added = {"users": 0, "tags": 0, "items": 0, "item_tags": 0}
    async with engine.begin() as conn:
        users = user_rows(plan, password_hash)
        for done, chunk in enumerate(_chunks(users), 1):
            added["users"] += len(await _insert_new(conn, _users, chunk, _users.c.id))
            progress("users", min(done * CHUNK, len(users)), len(users))
        user_ids: dict[str, int] = {}
        for chunk in _chunks([u["email"] for u in users]):
            rows = await conn.execute(select(_users.c.email, _users.c.id).where(_users.c.email.in_(chunk)))
            user_ids.update({r.email: r.id for r in rows})

        names = tag_names(plan)
        if names:
            added["tags"] = len(await _insert_new(conn, _tags, [{"name": n} for n in names], _tags.c.id))
        rows = await conn.execute(select(_tags.c.name, _tags.c.id).where(_tags.c.name.in_(names)))
        tag_ids = {r.name: r.id for r in rows}
        progress("tags", len(names), len(names))

        items, tags_of = item_rows(plan)
        links_planned = sum(len(t) for t in tags_of.values())
        links_done = 0
        for done, chunk in enumerate(_chunks(items), 1):
            params = with_user_ids(chunk, "owner", user_ids)
            if params:
                created = await _insert_new(conn, _items, params, _items.c.id, _items.c.title)
                added["items"] += len(created)
                links = [
                    {"item_id": row.id, "tag_id": tag_ids[f"tag-{t:02d}"]}
                    for row in created
                    for t in tags_of[row.title]
                ]
                if links:
                    await _insert_new(conn, item_tags, links)
                    added["item_tags"] += len(links)
            links_done += sum(len(tags_of[i["title"]]) for i in chunk)
            progress("items", min(done * CHUNK, len(items)), len(items))
            progress("item tags", links_done, links_planned)
        added["accounts"] = await _seed_accounts(conn, list(user_ids.values()), progress)
        added["posts"] = await _seed_posts(conn, post_rows(plan), user_ids, progress)
        if conn.dialect.name == "postgresql":
            await conn.execute(text("ANALYZE users, tags, items, item_tags, accounts, ledger_entries, posts"))
    return SeedResult(**added)


async def _seed_accounts(conn: AsyncConnection, owner_ids: list[int], progress: Progress) -> int:
    """A "Main" account per demo user (its natural key: owner and name) with one deposit of a
    deterministic amount, as one entry: an account that exists already is left as it is, so the
    ledger's invariants hold after any number of runs."""
    rng = random.Random(SEED + 1)  # noqa: S311 - demo data
    amounts = {owner: Decimal(rng.randint(1_000, 500_000)) / 100 for owner in sorted(owner_ids)}
    created = 0
    for done, chunk in enumerate(_chunks(sorted(owner_ids)), 1):
        rows = [
            {"owner_id": o, "name": "Main", "balance": amounts[o], "created_at": T0 + timedelta(days=1)}
            for o in chunk
        ]
        new = await _insert_new(conn, _accounts, rows, _accounts.c.id, _accounts.c.owner_id)
        if new:
            deposits = [
                {
                    "account_id": row.id,
                    "kind": EntryKind.DEPOSIT.value,
                    "amount": amounts[row.owner_id],
                    "balance_after": amounts[row.owner_id],
                    "created_at": T0 + timedelta(days=1),
                }
                for row in new
            ]
            await conn.execute(insert(_entries), deposits)
        created += len(new)
        progress("accounts", min(done * CHUNK, len(owner_ids)), len(owner_ids))
    return created


def post_rows(plan: SeedPlan) -> list[dict[str, Any]]:
    """Posts (``author`` is a 1-based user number): half of them by the first tenth of the users,
    so ``/stats/authors`` has prolific authors to show."""
    rng = random.Random(SEED + 2)  # noqa: S311 - demo data
    prolific = max(1, plan.users // 10)
    rows = []
    for p in range(1, plan.posts + 1):
        created = T0 + timedelta(days=60, seconds=53 * p)
        rows.append(
            {
                "title": f"Post {p:05d}",
                "content": f"Deterministic content of post {p}. " * rng.randint(1, 20),
                "author": rng.randint(1, prolific if rng.random() < 0.5 else plan.users),
                "created_at": created,
                "updated_at": created + timedelta(hours=rng.randint(0, 100)),
            }
        )
    return rows


async def _seed_posts(
    conn: AsyncConnection, posts: list[dict[str, Any]], user_ids: dict[str, int], progress: Progress
) -> int:
    """Bulk inserts of the planned posts whose (author, title) is not there yet."""
    created = 0
    for done, chunk in enumerate(_chunks(posts), 1):
        rows = with_user_ids(chunk, "author", user_ids)
        if rows:
            titles = {r["title"] for r in rows}
            found = await conn.execute(
                select(_posts.c.author_id, _posts.c.title).where(_posts.c.title.in_(titles))
            )
            taken = {tuple(r) for r in found}
            fresh = [r for r in rows if (r["author_id"], r["title"]) not in taken]
            if fresh:
                await conn.execute(insert(_posts), fresh)
            created += len(fresh)
        progress("posts", min(done * CHUNK, len(posts)), len(posts))
    return created


async def counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        return {
            table.name: int(await conn.scalar(select(func.count()).select_from(table)) or 0)
            for table in (_users, _tags, _items, item_tags, _accounts, _entries, _posts)
        }
