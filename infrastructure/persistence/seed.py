"""Deterministic demo data for ``bazaar seed``: users, tags, items, item tags, and an account
with an opening deposit per user.

The rows are a pure function of the plan (fixed random seed), shaped like the benchmark
anchors' data (``Item 00001``, ``tag-01``, 0-3 tags per item, ~90% active). Every row has a
natural key (email, tag name, item title), and every insert is a bulk ``INSERT ... ON CONFLICT
DO NOTHING`` (multi-row VALUES through SQLAlchemy's insertmanyvalues), so a second run adds
nothing and says so. One transaction: an interrupted run leaves nothing half-seeded.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar, cast

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.ledger import EntryKind
from infrastructure.persistence.models import AccountRow, EntryRow, ItemRow, TagRow, UserRow, item_tags

SEED = 20260101
T0 = datetime(2025, 1, 1, tzinfo=UTC)
CHUNK = 5000
T = TypeVar("T")

_users = cast(Table, UserRow.__table__)
_tags = cast(Table, TagRow.__table__)
_items = cast(Table, ItemRow.__table__)
_accounts = cast(Table, AccountRow.__table__)
_entries = cast(Table, EntryRow.__table__)

Progress = Callable[[str, int, int], None]  # (table, rows handled so far, rows planned)


@dataclass(frozen=True, slots=True)
class SeedPlan:
    users: int = 1000
    items: int = 10_000
    tags: int = 50


@dataclass(frozen=True, slots=True)
class SeedResult:
    users: int
    tags: int
    items: int
    item_tags: int
    accounts: int = 0  # one "Main" account per demo user, each with one opening deposit

    @property
    def added_anything(self) -> bool:
        return any((self.users, self.tags, self.items, self.item_tags, self.accounts))


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


def _insert(conn: AsyncConnection, table: Table) -> Any:
    return postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table)


async def seed(engine: AsyncEngine, plan: SeedPlan, password_hash: str, progress: Progress) -> SeedResult:
    if plan.items and not plan.users:
        raise ValueError("items need at least one user")
    added = {"users": 0, "tags": 0, "items": 0, "item_tags": 0}
    async with engine.begin() as conn:
        users = user_rows(plan, password_hash)
        for done, chunk in enumerate(_chunks(users), 1):
            stmt = _insert(conn, _users).on_conflict_do_nothing().returning(_users.c.id)
            added["users"] += len((await conn.execute(stmt, list(chunk))).all())
            progress("users", min(done * CHUNK, len(users)), len(users))
        user_ids: dict[str, int] = {}
        for chunk in _chunks([u["email"] for u in users]):
            rows = await conn.execute(select(_users.c.email, _users.c.id).where(_users.c.email.in_(chunk)))
            user_ids.update({r.email: r.id for r in rows})

        names = tag_names(plan)
        if names:
            stmt = _insert(conn, _tags).on_conflict_do_nothing(index_elements=["name"]).returning(_tags.c.id)
            added["tags"] = len((await conn.execute(stmt, [{"name": n} for n in names])).all())
        rows = await conn.execute(select(_tags.c.name, _tags.c.id).where(_tags.c.name.in_(names)))
        tag_ids = {r.name: r.id for r in rows}
        progress("tags", len(names), len(names))

        items, tags_of = item_rows(plan)
        links_planned = sum(len(t) for t in tags_of.values())
        links_done = 0
        for done, chunk in enumerate(_chunks(items), 1):
            params = []
            for item in chunk:
                owner_id = user_ids.get(f"user{item['owner']:04d}@example.com")
                if owner_id is not None:  # a seed user whose username a real user already had
                    params.append({**{k: v for k, v in item.items() if k != "owner"}, "owner_id": owner_id})
            if params:
                stmt = _insert(conn, _items).on_conflict_do_nothing().returning(_items.c.id, _items.c.title)
                created = (await conn.execute(stmt, params)).all()
                added["items"] += len(created)
                links = [
                    {"item_id": row.id, "tag_id": tag_ids[f"tag-{t:02d}"]}
                    for row in created
                    for t in tags_of[row.title]
                ]
                if links:
                    await conn.execute(_insert(conn, item_tags).on_conflict_do_nothing(), links)
                    added["item_tags"] += len(links)
            links_done += sum(len(tags_of[i["title"]]) for i in chunk)
            progress("items", min(done * CHUNK, len(items)), len(items))
            progress("item tags", links_done, links_planned)
        added["accounts"] = await _seed_accounts(conn, list(user_ids.values()), progress)
        if conn.dialect.name == "postgresql":
            await conn.execute(text("ANALYZE users, tags, items, item_tags, accounts, ledger_entries"))
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
        stmt = (
            _insert(conn, _accounts).on_conflict_do_nothing().returning(_accounts.c.id, _accounts.c.owner_id)
        )
        new = (await conn.execute(stmt, rows)).all()
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


async def counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        return {
            table.name: int(await conn.scalar(select(func.count()).select_from(table)) or 0)
            for table in (_users, _tags, _items, item_tags, _accounts, _entries)
        }
