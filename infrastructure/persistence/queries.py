"""Helpers every query service shares: the read connection, literal substring matching and
keyset pagination (and ``load_row``, the repositories' read of one row by id).

A page is one statement: the rows (``limit + 1`` of them, to know whether another page follows)
with the total as an uncorrelated scalar sub-select, which PostgreSQL runs once per statement.
Only a page past the end needs a second statement for the total.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Row,
    RowMapping,
    String,
    Table,
    bindparam,
    func,
    literal,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import Select

from application.pagination import Key, KeyValue, PageRequest
from domain.errors import BadRequest
from infrastructure.persistence.database import ReadPath
from infrastructure.persistence.errors import translate


@asynccontextmanager
async def reading(reads: ReadPath) -> AsyncIterator[AsyncConnection]:
    """A connection for one read (the replica's or the primary's, in autocommit mode: no
    BEGIN/ROLLBACK, ADR 4), with database errors translated as the unit of work translates them
    (an outage is ``DatabaseUnavailable``, never a bare driver error)."""
    try:
        async with reads.connect() as conn:
            yield conn
    except Exception as error:
        raise _translated(error) from error


async def read_first(reads: ReadPath, stmt: Select[Any], params: Mapping[str, Any]) -> Any:
    """The first row of a prebuilt statement (or None), read as ``reading`` reads but on
    PostgreSQL's native path when the read path has one (``ReadPath.first``): the by-id reads of
    the hottest endpoints."""
    try:
        return await reads.first(stmt, params)
    except Exception as error:
        raise _translated(error) from error


def _translated(error: Exception) -> Exception:
    translated = translate(error)
    return error if translated is None else translated  # type: ignore[return-value]


async def load_row(
    session: AsyncSession, table: Table, row_id: int, *, for_update: bool = False
) -> RowMapping | None:
    """A repository's read of one row by id inside its unit of work; with ``for_update`` the row
    stays locked until the unit of work ends (SQLite ignores it: its writers are serialised)."""
    stmt = select(table).where(table.c.id == row_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).first()
    return row._mapping if row is not None else None


def contains(column: ColumnElement[str], text: str) -> ColumnElement[bool]:
    """Case-insensitive substring match where ``%`` and ``_`` are literal characters.

    The pattern is rendered into the statement (``literal_execute``, escaped by the dialect)
    instead of bound: asyncpg prepares statements, and after five runs PostgreSQL may switch to a
    generic plan that guesses a bound ``ILIKE $1`` matches 50 rows. For a common word that plan
    was 10x slower (40 ms against 4 ms, docs/adr/0009-search-plans.md); with the pattern visible
    the planner uses its trigram statistics even in a cached plan."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = bindparam(None, f"%{escaped}%", type_=String(), unique=True, literal_execute=True)
    return column.ilike(pattern, escape="\\")


@dataclass(frozen=True, slots=True)
class SortKey:
    """A sortable column and how its values travel inside a cursor."""

    column: ColumnElement[Any]
    encode: Callable[[Any], KeyValue]
    decode: Callable[[Any], Any]


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("not an integer")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def by_int(column: ColumnElement[Any]) -> SortKey:
    return SortKey(column, int, _int)


def by_text(column: ColumnElement[Any]) -> SortKey:
    return SortKey(column, str, _str)


def by_datetime(column: ColumnElement[Any]) -> SortKey:
    return SortKey(column, lambda v: v.isoformat(), lambda v: datetime.fromisoformat(_str(v)))


def by_decimal(column: ColumnElement[Any]) -> SortKey:
    return SortKey(column, str, lambda v: Decimal(_str(v)))


async def fetch_page(
    conn: AsyncConnection,
    columns: Sequence[Any],
    source: FromClause,
    where: Sequence[ColumnElement[bool]],
    sorts: Mapping[str, SortKey],
    id_column: ColumnElement[int],
    page: PageRequest,
    count_source: FromClause | None = None,
) -> tuple[list[Row[Any]], int, Key | None]:
    """Rows of one page, the total of the filter, and the key of the page's last row when
    another page follows. ``count_source`` counts over fewer tables than the rows need (a join
    that cannot change the count, such as an item's owner); the filter must only use it."""
    sort = sorts[page.sort.field]
    order = (sort.column, id_column)
    stmt = select(*columns).select_from(source).where(*where)
    if page.after is not None:
        try:
            value, last_id = sort.decode(page.after[0]), _int(page.after[1])
        except (TypeError, ValueError, IndexError) as exc:
            raise BadRequest("cursor is not valid") from exc
        # Bind with the columns' own types, so custom types (money in cents on SQLite, UTC
        # datetimes) convert the cursor's values exactly as they convert stored ones.
        bound = tuple_(literal(value, sort.column.type), literal(last_id, id_column.type))
        after = tuple_(*order) < bound if page.sort.descending else tuple_(*order) > bound
        stmt = stmt.where(after)
    else:
        stmt = stmt.offset(page.offset)
    total = select(func.count()).select_from(count_source if count_source is not None else source)
    total = total.where(*where).correlate(None)
    stmt = stmt.add_columns(total.scalar_subquery().label("_total"))
    stmt = stmt.order_by(*(c.desc() if page.sort.descending else c.asc() for c in order))
    rows = list((await conn.execute(stmt.limit(page.limit + 1))).all())
    count = rows[0]._total if rows else (await conn.scalar(total)) or 0
    if len(rows) <= page.limit:
        return rows, count, None
    rows = rows[: page.limit]
    last = rows[-1]._mapping
    return rows, count, (sort.encode(last[str(sort.column.key)]), last[str(id_column.key)])
