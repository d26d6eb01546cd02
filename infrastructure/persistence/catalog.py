"""Catalog adapters: item and tag repositories (write side, inside a unit of work) and the item
query service (read side, autocommit connection).

The read side never hydrates ORM objects: it selects exactly the view's columns, the owner's
name through a join and the item's tags aggregated in SQL by a correlated sub-select
(``string_agg`` on PostgreSQL, ``group_concat`` on SQLite and MariaDB; tag names cannot contain
a comma),
so an item is one statement and a page at most two, whatever the page size and tag count.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Dialect,
    Label,
    Table,
    bindparam,
    case,
    delete,
    exists,
    false,
    func,
    insert,
    literal_column,
    select,
    true,
    update,
)
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from application.catalog.views import ItemFilter, ItemStatsView, ItemView, OwnerView, TagView
from application.pagination import PageRequest, Slice
from domain.catalog import Item
from domain.money import CENT
from infrastructure.persistence.database import ReadPath
from infrastructure.persistence.models import ItemRow, TagRow, UserRow, is_mysql_family, item_tags
from infrastructure.persistence.queries import (
    PageStatements,
    by_datetime,
    by_decimal,
    by_int,
    by_text,
    contains_param,
    fetch_page,
    like_pattern,
    load_row,
    read_first,
    reading,
)

_items = cast(Table, ItemRow.__table__)
_tags = cast(Table, TagRow.__table__)
_users = cast(Table, UserRow.__table__)
TOP_TAGS = 10


def _tag_names(dialect: str) -> Label[Any]:
    """The item's tag names, comma-separated, in one correlated sub-select."""
    name = _tags.c.name
    agg = func.string_agg(name, literal_column("','")) if dialect == "postgresql" else func.group_concat(name)
    return (
        select(agg)
        .select_from(item_tags.join(_tags, _tags.c.id == item_tags.c.tag_id))
        .where(item_tags.c.item_id == _items.c.id)
        .scalar_subquery()
        .label("tag_names")
    )


def _insert_new(dialect: Dialect, table: Table, rows: list[dict[str, Any]]) -> Any:
    """A multi-row insert that leaves rows whose unique key already exists alone."""
    if is_mysql_family(dialect):
        stmt = mysql.insert(table).values(rows)
        return stmt.on_duplicate_key_update(id=table.c.id)
    insert_ = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    return insert_(table).values(rows).on_conflict_do_nothing(index_elements=["name"])


def _split_tags(raw: str | None) -> list[str]:
    return sorted(raw.split(",")) if raw else []


# --- write side -----------------------------------------------------------------------------------


class SqlTagRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def ensure(self, names: Sequence[str]) -> dict[str, int]:
        """Existing tags cost one SELECT; new ones an ``INSERT ... ON CONFLICT DO NOTHING``
        (so a tag another transaction creates at the same moment is no error) and, only when
        that race happened, a second SELECT for the ids the insert did not return.

        MariaDB has no ON CONFLICT: ``INSERT ... ON DUPLICATE KEY UPDATE id = id`` (a no-op on
        the existing row, never INSERT IGNORE, which would turn any bad value into a warning),
        whose RETURNING gives the rows inserted and the rows found alike."""
        wanted = sorted(set(names))
        if not wanted:
            return {}
        found = await self._select(wanted)
        missing = [n for n in wanted if n not in found]
        if missing:
            dialect = self._session.get_bind().dialect
            stmt = _insert_new(dialect, _tags, [{"name": n} for n in missing])
            if dialect.insert_returning:
                rows = await self._session.execute(stmt.returning(_tags.c.name, _tags.c.id))
                found.update({row.name: row.id for row in rows})
            else:
                await self._session.execute(stmt)
            if len(found) < len(wanted):
                found.update(await self._select([n for n in wanted if n not in found]))
        return found

    async def _select(self, names: Sequence[str]) -> dict[str, int]:
        rows = await self._session.execute(select(_tags.c.name, _tags.c.id).where(_tags.c.name.in_(names)))
        return {row.name: row.id for row in rows}


class SqlItemRepository:
    def __init__(self, session: AsyncSession, tags: SqlTagRepository) -> None:
        self._session = session
        self._tag_repo = tags
        self._loaded_tags: dict[int, tuple[str, ...]] = {}

    async def _write_tags(self, item_id: int, names: tuple[str, ...], *, replace: bool) -> None:
        if replace:
            await self._session.execute(delete(item_tags).where(item_tags.c.item_id == item_id))
        if names and not await self._link_existing(item_id, names):
            # A tag is new (or was deleted meanwhile): create what is missing, link the rest.
            ids = await self._tag_repo.ensure(names)
            linked = set(
                (
                    await self._session.scalars(
                        select(item_tags.c.tag_id).where(item_tags.c.item_id == item_id)
                    )
                ).all()
            )
            rows = [
                {"item_id": item_id, "tag_id": ids[n]} for n in sorted(set(names)) if ids[n] not in linked
            ]
            if rows:
                await self._session.execute(insert(item_tags), rows)
        self._loaded_tags[item_id] = names

    async def _link_existing(self, item_id: int, names: tuple[str, ...]) -> bool:
        """Links the item to those of ``names`` that exist, in one ``INSERT ... SELECT``; True
        when that was all of them (the usual case: one round trip instead of a SELECT of the
        tags' ids and an INSERT of the links)."""
        wanted = set(names)
        chosen = select(bindparam("item_id", item_id, type_=item_tags.c.item_id.type), _tags.c.id).where(
            _tags.c.name.in_(sorted(wanted))
        )
        result = await self._session.execute(insert(item_tags).from_select(["item_id", "tag_id"], chosen))
        return cast(int, result.rowcount) == len(wanted)  # type: ignore[attr-defined]

    @staticmethod
    def _values(item: Item) -> dict[str, Any]:
        return {
            "title": item.title,
            "description": item.description,
            "price": item.price,
            "is_active": item.is_active,
            "owner_id": item.owner_id,
            "created_at": item.created_at,
            "updated_at": item.updated_at,
        }

    async def add(self, item: Item) -> Item:
        # The new id by RETURNING where the engine has it, else by the driver's last insert id.
        result = await self._session.execute(insert(_items).values(**self._values(item)))
        item.id = int(result.inserted_primary_key[0])  # type: ignore[attr-defined]
        await self._write_tags(item.id, item.tags, replace=False)
        return item

    async def get(self, item_id: int, *, for_update: bool = False) -> Item | None:
        m = await load_row(self._session, _items, item_id, for_update=for_update)
        if m is None:
            return None
        tag_stmt = (
            select(_tags.c.name)
            .join(item_tags, item_tags.c.tag_id == _tags.c.id)
            .where(item_tags.c.item_id == item_id)
            .order_by(_tags.c.name)
        )
        tags = tuple((await self._session.scalars(tag_stmt)).all())
        self._loaded_tags[item_id] = tags
        return Item(
            id=m["id"],
            title=m["title"],
            description=m["description"],
            price=m["price"],
            is_active=m["is_active"],
            owner_id=m["owner_id"],
            tags=tags,
            created_at=m["created_at"],
            updated_at=m["updated_at"],
        )

    async def update(self, item: Item) -> None:
        assert item.id is not None
        await self._session.execute(update(_items).where(_items.c.id == item.id).values(**self._values(item)))
        if self._loaded_tags.get(item.id) != item.tags:
            await self._write_tags(item.id, item.tags, replace=True)

    async def delete(self, item_id: int) -> None:
        await self._session.execute(delete(_items).where(_items.c.id == item_id))
        self._loaded_tags.pop(item_id, None)

    async def deactivate_owned_by(self, owner_id: int, now: datetime) -> int:
        stmt = (
            update(_items)
            .where(_items.c.owner_id == owner_id, _items.c.is_active == true())
            .values(is_active=False, updated_at=now)
        )
        result = await self._session.execute(stmt)
        return int(result.rowcount)  # type: ignore[attr-defined]


# --- read side ------------------------------------------------------------------------------------

_ITEM_SOURCE = _items.join(_users, _users.c.id == _items.c.owner_id)
_ITEM_SORTS = {
    "created_at": by_datetime(_items.c.created_at),
    "price": by_decimal(_items.c.price),
    "title": by_text(_items.c.title),
}


def _item_view(row: Any) -> ItemView:
    m = row._mapping
    return ItemView(
        id=m["id"],
        title=m["title"],
        description=m["description"],
        price=m["price"],
        is_active=m["is_active"],
        owner=OwnerView(m["owner_id"], m["owner_username"]),
        tags=_split_tags(m["tag_names"]),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


_TAG_NAME = _tags.c.name.type


def _item_filter(
    flt: ItemFilter,
) -> tuple[Hashable, Callable[[], list[ColumnElement[bool]]], dict[str, Any]]:
    """The filter as a page's shape (which conditions are present: ``PageStatements`` builds
    one statement per shape), the builder of its conditions with named parameters, and their
    values. ``is_active`` stays a literal: the partial index on active items matches
    ``is_active = true`` only when the planner sees the value."""
    shape = (
        flt.is_active,
        flt.owner_id is not None,
        bool(flt.q),
        flt.min_price is not None,
        flt.max_price is not None,
        len(flt.tags),
    )
    params: dict[str, Any] = {f"tag_{i}": name for i, name in enumerate(flt.tags)}
    if flt.owner_id is not None:
        params["owner_id"] = flt.owner_id
    if flt.q:
        params["q"] = like_pattern(flt.q)
    if flt.min_price is not None:
        params["min_price"] = flt.min_price
    if flt.max_price is not None:
        params["max_price"] = flt.max_price

    def where() -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if flt.is_active is not None:
            conditions.append(_items.c.is_active == (true() if flt.is_active else false()))
        if flt.owner_id is not None:
            conditions.append(_items.c.owner_id == bindparam("owner_id", type_=_items.c.owner_id.type))
        if flt.q:
            conditions.append(contains_param(_items.c.title, "q"))
        if flt.min_price is not None:
            conditions.append(_items.c.price >= bindparam("min_price", type_=_items.c.price.type))
        if flt.max_price is not None:
            conditions.append(_items.c.price <= bindparam("max_price", type_=_items.c.price.type))
        for i in range(len(flt.tags)):  # items carrying every listed tag: one EXISTS per tag
            conditions.append(
                exists()
                .select_from(item_tags.join(_tags, _tags.c.id == item_tags.c.tag_id))
                .where(
                    item_tags.c.item_id == _items.c.id, _tags.c.name == bindparam(f"tag_{i}", type_=_TAG_NAME)
                )
            )
        return conditions

    return shape, where, params


class SqlItemQueries:
    def __init__(self, reads: ReadPath) -> None:
        self._reads = reads
        self._columns = (
            _items.c.id,
            _items.c.title,
            _items.c.description,
            _items.c.price,
            _items.c.is_active,
            _items.c.owner_id,
            _users.c.username.label("owner_username"),
            _items.c.created_at,
            _items.c.updated_at,
            _tag_names(reads.dialect.name),
        )
        # Built once: SQLAlchemy memoises a statement's cache key on the object, so the hottest
        # read skips rebuilding and re-hashing its statement on every request.
        self._get = (
            select(*self._columns).select_from(_ITEM_SOURCE).where(_items.c.id == bindparam("item_id"))
        )
        self._pages = PageStatements(
            self._columns, _ITEM_SOURCE, _ITEM_SORTS, _items.c.id, count_source=_items
        )

    async def get(self, item_id: int) -> ItemView | None:
        row = await read_first(self._reads, self._get, {"item_id": item_id})
        return _item_view(row) if row is not None else None

    async def list(self, flt: ItemFilter, page: PageRequest) -> Slice[ItemView]:
        shape, where, params = _item_filter(flt)
        rows, total, next_key = await self._pages.read(self._reads, shape, where, params, page)
        return Slice([_item_view(r) for r in rows], total, next_key)

    async def tags(self, page: PageRequest) -> Slice[TagView]:
        counts = (
            select(item_tags.c.tag_id, func.count().label("n"))
            .group_by(item_tags.c.tag_id)
            .subquery("counts")
        )
        item_count = func.coalesce(counts.c.n, 0).label("item_count")
        source = _tags.outerjoin(counts, counts.c.tag_id == _tags.c.id)
        sorts = {"name": by_text(_tags.c.name), "item_count": by_int(item_count)}
        async with reading(self._reads) as conn:
            rows, total, next_key = await fetch_page(
                conn,
                (_tags.c.id, _tags.c.name, item_count),
                source,
                [],
                sorts,
                _tags.c.id,
                page,
                count_source=_tags,
            )
        return Slice([TagView(r.name, r.item_count) for r in rows], total, next_key)

    async def stats(self) -> ItemStatsView:
        active = _items.c.is_active == true()
        active_price = case((active, _items.c.price))  # NULL for inactive items: aggregates skip it
        # Aggregates over CASE rather than FILTER (WHERE ...), which MariaDB lacks.
        totals = select(
            func.count(),
            func.count(case((active, 1))),
            func.sum(active_price),
            func.min(active_price),
            func.max(active_price),
        ).select_from(_items)
        n = func.count().label("n")
        top = (
            select(_tags.c.name, n)
            .select_from(_tags.join(item_tags, item_tags.c.tag_id == _tags.c.id))
            .group_by(_tags.c.id, _tags.c.name)
            .order_by(n.desc(), _tags.c.name)
            .limit(TOP_TAGS)
        )
        async with reading(self._reads) as conn:
            total, active_count, price_sum, low, high = (await conn.execute(totals)).one()
            top_tags = [TagView(r.name, r.n) for r in await conn.execute(top)]
        average = (
            (Decimal(price_sum) / active_count).quantize(CENT, rounding=ROUND_HALF_UP)
            if active_count
            else None
        )
        return ItemStatsView(
            total_items=total,
            active_items=active_count,
            avg_price=average,
            min_price=low if active_count else None,
            max_price=high if active_count else None,
            top_tags=top_tags,
        )
