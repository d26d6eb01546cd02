"""Deterministic demo data for ``bazaar seed``: users, tags, items, item tags, an account with
an opening deposit per user, orders in every status (paid ones with their payments, a cancelled
paid one with its refunds, so ``bazaar ledger verify`` holds), posts, and teams, heroes and their
memberships.

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
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, func, insert, or_, select, text, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.catalog import Item
from domain.errors import Conflict, InsufficientFunds
from domain.ledger import Account, Entry, EntryKind
from domain.ordering import LineRejected, Order, OrderStatus, Role
from infrastructure.persistence.ledger import entry_row
from infrastructure.persistence.models import (
    AccountRow,
    EntryRow,
    HeroRow,
    ItemRow,
    OrderLineRow,
    OrderRow,
    PostRow,
    TagRow,
    TeamRow,
    UserRow,
    is_mysql_family,
    item_tags,
    team_members,
)
from infrastructure.persistence.ordering import line_row, order_row

SEED = 20260101
T0 = datetime(2025, 1, 1, tzinfo=UTC)
CHUNK = 5000
T = TypeVar("T")

_users = cast(Table, UserRow.__table__)
_tags = cast(Table, TagRow.__table__)
_items = cast(Table, ItemRow.__table__)
_accounts = cast(Table, AccountRow.__table__)
_entries = cast(Table, EntryRow.__table__)
_teams = cast(Table, TeamRow.__table__)
_heroes = cast(Table, HeroRow.__table__)
_orders = cast(Table, OrderRow.__table__)
_lines = cast(Table, OrderLineRow.__table__)
# When the demo orders were placed: order n at ORDERS_T0 + n minutes (with its buyer, its key).
ORDERS_T0 = T0 + timedelta(days=60)
_posts = cast(Table, PostRow.__table__)

Progress = Callable[[str, int, int], None]  # (table, rows handled so far, rows planned)


@dataclass(frozen=True, slots=True)
class SeedPlan:
    users: int = 1000
    items: int = 10_000
    tags: int = 50
    teams: int = 50
    heroes: int = 1000
    orders: int = 0
    posts: int = 5000


@dataclass(frozen=True, slots=True)
class SeedResult:
    users: int
    tags: int
    items: int
    item_tags: int
    accounts: int = 0  # one "Main" account per demo user, each with one opening deposit
    teams: int = 0
    heroes: int = 0
    memberships: int = 0
    orders: int = 0
    posts: int = 0

    @property
    def added_anything(self) -> bool:
        return any(
            (
                self.users,
                self.tags,
                self.items,
                self.item_tags,
                self.accounts,
                self.orders,
                self.posts,
                self.teams,
                self.heroes,
                self.memberships,
            )
        )


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


def team_rows(plan: SeedPlan) -> list[dict[str, Any]]:
    return [
        {"name": f"Team {t:03d}", "headquarters": f"City {t % 20 + 1:02d}"} for t in range(1, plan.teams + 1)
    ]


def hero_rows(plan: SeedPlan) -> tuple[list[dict[str, Any]], dict[str, list[tuple[int, bool]]]]:
    """Heroes (about one in ten of unknown age) and, per name, the team numbers it joins (0-2 of
    them, about one link in five in training)."""
    rng = random.Random(SEED + 2)  # noqa: S311 - demo data
    heroes: list[dict[str, Any]] = []
    teams_of: dict[str, list[tuple[int, bool]]] = {}
    for h in range(1, plan.heroes + 1):
        name = f"Hero {h:05d}"
        age = None if rng.random() < 0.1 else rng.randint(16, 120)
        heroes.append({"name": name, "secret_name": f"Secret identity {h:05d}", "age": age})
        joined = sorted(rng.sample(range(1, plan.teams + 1), rng.randint(0, min(2, plan.teams))))
        teams_of[name] = [(t, rng.random() < 0.2) for t in joined]
    return heroes, teams_of


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
    if table is _teams or table is _heroes:
        return (row["name"].lower(),)
    if table is team_members:
        return (row["team_id"], row["hero_id"])
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
    if table is _teams or table is _heroes:
        names = [r["name"].lower() for r in rows]
        found = await conn.execute(select(table.c.name_lower).where(table.c.name_lower.in_(names)))
        return {tuple(r) for r in found}
    if table is team_members:
        links = [(r["team_id"], r["hero_id"]) for r in rows]
        key = tuple_(team_members.c.team_id, team_members.c.hero_id)
        found = await conn.execute(
            select(team_members.c.team_id, team_members.c.hero_id).where(key.in_(links))
        )
        return {tuple(r) for r in found}
    pairs = [(r["item_id"], r["tag_id"]) for r in rows]
    link = tuple_(item_tags.c.item_id, item_tags.c.tag_id)
    found = await conn.execute(select(item_tags.c.item_id, item_tags.c.tag_id).where(link.in_(pairs)))
    return {tuple(r) for r in found}


async def _ids_by(conn: AsyncConnection, table: Table, key: Any, keys: Sequence[str]) -> dict[str, int]:
    """The ids of the rows whose ``key`` column is one of ``keys`` (planned rows, new or not)."""
    ids: dict[str, int] = {}
    for chunk in _chunks(keys):
        rows = await conn.execute(select(key, table.c.id).where(key.in_(chunk)))
        ids.update({row[0]: row[1] for row in rows})
    return ids


async def seed(engine: AsyncEngine, plan: SeedPlan, password_hash: str, progress: Progress) -> SeedResult:
    if (plan.items or plan.posts) and not plan.users:
        raise ValueError("items and posts need at least one user")
    added = {"users": 0, "tags": 0, "items": 0, "item_tags": 0}
    async with engine.begin() as conn:
        users = user_rows(plan, password_hash)
        for done, chunk in enumerate(_chunks(users), 1):
            added["users"] += len(await _insert_new(conn, _users, chunk, _users.c.id))
            progress("users", min(done * CHUNK, len(users)), len(users))
        user_ids = await _ids_by(conn, _users, _users.c.email, [u["email"] for u in users])

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
        added["orders"] = await _seed_orders(conn, plan, user_ids, progress)
        added["posts"] = await _seed_posts(conn, post_rows(plan), user_ids, progress)
        added.update(await _seed_teams(conn, plan, progress))
        if conn.dialect.name == "postgresql":
            tables = (
                "users, tags, items, item_tags, accounts, ledger_entries, orders, order_lines, posts,"
                " teams, heroes, team_members"
            )
            await conn.execute(text(f"ANALYZE {tables}"))
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


async def _seed_teams(conn: AsyncConnection, plan: SeedPlan, progress: Progress) -> dict[str, int]:
    """Teams and heroes by name (their natural key), and the memberships of the heroes this run
    created, in bulk: a second run finds every name taken and adds nothing."""
    teams = team_rows(plan)
    added = {"teams": 0, "heroes": 0, "memberships": 0}
    for done, chunk in enumerate(_chunks(teams), 1):
        added["teams"] += len(await _insert_new(conn, _teams, chunk, _teams.c.id))
        progress("teams", min(done * CHUNK, len(teams)), len(teams))
    team_ids = await _ids_by(conn, _teams, _teams.c.name, [t["name"] for t in teams])
    heroes, teams_of = hero_rows(plan)
    links_planned = sum(len(t) for t in teams_of.values())
    links_done = 0
    for done, chunk in enumerate(_chunks(heroes), 1):
        created = await _insert_new(conn, _heroes, chunk, _heroes.c.id, _heroes.c.name)
        added["heroes"] += len(created)
        links = [
            {"team_id": team_ids[f"Team {t:03d}"], "hero_id": row.id, "is_training": training}
            for row in created
            for t, training in teams_of[row.name]
            if f"Team {t:03d}" in team_ids
        ]
        if links:
            added["memberships"] += len(await _insert_new(conn, team_members, links, team_members.c.team_id))
        links_done += sum(len(teams_of[h["name"]]) for h in chunk)
        progress("heroes", min(done * CHUNK, len(heroes)), len(heroes))
        progress("memberships", links_done, links_planned)
    return added


@dataclass(frozen=True, slots=True)
class PlannedOrder:
    """Order ``number`` of the plan: its buyer and lines (user and item numbers of the plan, with
    quantities) and the status it is meant to reach (``paid``: a cancelled order paid first)."""

    number: int
    buyer: int
    lines: list[tuple[int, int]]
    status: OrderStatus
    paid: bool

    @property
    def created_at(self) -> datetime:
        return ORDERS_T0 + timedelta(minutes=self.number)


STATUS_PLAN = [
    (OrderStatus.PENDING, False),
    (OrderStatus.PROCESSING, True),
    (OrderStatus.SHIPPED, True),
    (OrderStatus.DELIVERED, True),
    (OrderStatus.CANCELLED, False),
    (OrderStatus.CANCELLED, True),
]


def order_plan(plan: SeedPlan) -> list[PlannedOrder]:
    """A pure function of the plan: each order's buyer, 1-3 lines of other users' active items
    (1-2 of each), and its status."""
    rng = random.Random(SEED + 2)  # noqa: S311 - demo data
    items, _ = item_rows(plan)
    planned = []
    for n in range(1, plan.orders + 1 if plan.users > 1 and items else 1):
        buyer = rng.randint(1, plan.users)
        lines = []
        for _ in range(rng.randint(1, 3)):
            number = rng.randint(1, len(items))
            item = items[number - 1]
            if item["is_active"] and item["owner"] != buyer:
                lines.append((number, rng.randint(1, 2)))
        status, paid = rng.choice(STATUS_PLAN)
        if lines:
            planned.append(PlannedOrder(n, buyer, lines, status, paid))
    return planned


async def _seed_orders(
    conn: AsyncConnection, plan: SeedPlan, user_ids: dict[str, int], progress: Progress
) -> int:
    """The planned orders not placed yet (an order's natural key: its buyer and its time),
    placed, paid, moved and cancelled by the domain's own rules (``domain.ordering``), so their
    lines, entries and balances are exactly what the service would have written: a line of an
    item no longer active (or now the buyer's) is left out; an order its buyer cannot pay, or
    whose seller has no account, stays pending (or is cancelled unpaid)."""
    planned = order_plan(plan)
    buyers = {o.number: user_ids.get(f"user{o.buyer:04d}@example.com") for o in planned}
    placed = await _placed_orders(conn, planned)
    todo = [
        o for o in planned if buyers[o.number] is not None and (buyers[o.number], o.created_at) not in placed
    ]
    if not todo:
        progress("orders", 0, 0)
        return 0
    items = await _ordered_items(conn, plan, todo, user_ids)
    oldest = await _oldest_accounts(conn, sorted(set(user_ids.values())))
    accounts = {account.id: account for account in oldest.values() if account.id is not None}
    orders: list[Order] = []
    entries_of: list[list[Entry]] = []
    for wanted in todo:
        buyer_id = buyers[wanted.number]
        assert buyer_id is not None  # todo has only orders of known buyers
        order = Order.open(buyer_id, wanted.created_at)
        for number, quantity in wanted.lines:
            item = items.get(number)  # None: the item is gone (a user deleted it)
            with suppress(LineRejected):
                order.add(order.line_for(item.id if item is not None and item.id else 0, item, quantity))
        if order.lines:
            orders.append(order)
            entries_of.append(_settle(order, wanted, oldest, accounts))
    added = 0
    for start in range(0, len(orders), CHUNK):
        chunk, entries = orders[start : start + CHUNK], entries_of[start : start + CHUNK]
        ids = (await conn.execute(_ADD_ORDERS, [order_row(o) for o in chunk])).scalars().all()
        await conn.execute(
            insert(_lines), [line_row(i, line) for i, o in zip(ids, chunk, strict=True) for line in o.lines]
        )
        moved = [
            entry_row(e if e.kind is EntryKind.DEPOSIT else replace(e, order_id=i))
            for i, es in zip(ids, entries, strict=True)
            for e in es
        ]
        if moved:
            await conn.execute(insert(_entries), moved)
        added += len(ids)
        progress("orders", added, len(orders))
    touched = sorted({e.account_id for es in entries_of for e in es})
    if touched:
        await conn.execute(_SAVE_BALANCE, [{"account": a, "amount": accounts[a].balance} for a in touched])
    return added


_ADD_ORDERS = insert(_orders).returning(_orders.c.id, sort_by_parameter_order=True)
_SAVE_BALANCE = (
    _accounts.update().where(_accounts.c.id == bindparam("account")).values(balance=bindparam("amount"))
)
FORWARD_PATH = {
    OrderStatus.PROCESSING: (),
    OrderStatus.SHIPPED: (OrderStatus.SHIPPED,),
    OrderStatus.DELIVERED: (OrderStatus.SHIPPED, OrderStatus.DELIVERED),
}


def _settle(
    order: Order, wanted: PlannedOrder, oldest: dict[int, Account], accounts: dict[int, Account]
) -> list[Entry]:
    """Pays (when planned and possible), then moves or cancels the order; returns its entries."""
    entries: list[Entry] = []
    later = wanted.created_at + timedelta(hours=1)
    source = oldest.get(order.buyer_id)
    if wanted.paid and source is not None and source.id is not None:
        sellers = {seller: oldest[seller] for seller in order.dues() if seller in oldest}
        shortfall = order.total - source.balance
        if shortfall > 0:  # demo prices outgrow demo deposits: the buyer tops up first
            after = source.deposit(shortfall)
            entries.append(Entry(source.id, EntryKind.DEPOSIT, shortfall, after, wanted.created_at))
        with suppress(InsufficientFunds, Conflict):  # a seller without an account: nothing moved
            entries += order.pay(source, sellers, by=Role.BUYER, now=later)
    if wanted.status is OrderStatus.CANCELLED:
        refunds = order.cancel(
            by=Role.BUYER, now=later + timedelta(hours=1), payments=entries, accounts=accounts
        )
        return entries + refunds
    if order.status is OrderStatus.PROCESSING:
        for status in FORWARD_PATH.get(wanted.status, ()):
            order.move_to(status, by=Role.SELLER, now=later)
    return entries


async def _placed_orders(conn: AsyncConnection, planned: Sequence[PlannedOrder]) -> set[tuple[int, datetime]]:
    if not planned:
        return set()
    stamps = [o.created_at for o in planned]
    stmt = select(_orders.c.buyer_id, _orders.c.created_at).where(
        _orders.c.created_at.between(min(stamps), max(stamps))
    )
    return {(r.buyer_id, r.created_at) for r in await conn.execute(stmt)}


async def _ordered_items(
    conn: AsyncConnection, plan: SeedPlan, todo: Sequence[PlannedOrder], user_ids: dict[str, int]
) -> dict[int, Item]:
    """The plan's items the orders name (by item number), as they are in the database now."""
    planned_items, _ = item_rows(plan)
    numbers = sorted({number for o in todo for number, _ in o.lines})
    owner_of = {n: user_ids.get(f"user{planned_items[n - 1]['owner']:04d}@example.com") for n in numbers}
    titles = {planned_items[n - 1]["title"] for n in numbers}
    by_key: dict[tuple[int, str], Item] = {}
    # By owner (an index), not by a long list of titles (PostgreSQL took seconds over that IN).
    for chunk in _chunks(sorted({owner for owner in owner_of.values() if owner is not None})):
        stmt = select(_items.c.id, _items.c.owner_id, _items.c.title, _items.c.price, _items.c.is_active)
        for r in await conn.execute(stmt.where(_items.c.owner_id.in_(chunk))):
            if r.title in titles:
                by_key[(r.owner_id, r.title)] = Item(
                    r.title, r.price, r.owner_id, is_active=r.is_active, id=r.id
                )
    found = {}
    for n in numbers:
        owner = owner_of[n]
        item = by_key.get((owner, planned_items[n - 1]["title"])) if owner is not None else None
        if item is not None:
            found[n] = item
    return found


async def _oldest_accounts(conn: AsyncConnection, owners: Sequence[int]) -> dict[int, Account]:
    """Each owner's oldest account (what a payment credits), by owner."""
    oldest: dict[int, Account] = {}
    for chunk in _chunks(owners):
        stmt = (
            select(_accounts.c.owner_id, _accounts.c.id, _accounts.c.name, _accounts.c.balance)
            .where(_accounts.c.owner_id.in_(chunk))
            .order_by(_accounts.c.owner_id, _accounts.c.created_at, _accounts.c.id)
        )
        for r in await conn.execute(stmt):
            oldest.setdefault(r.owner_id, Account(r.owner_id, r.name, r.balance, id=r.id))
    return oldest


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
            for table in (
                _users,
                _tags,
                _items,
                item_tags,
                _accounts,
                _entries,
                _orders,
                _lines,
                _posts,
                _teams,
                _heroes,
                team_members,
            )
        }
