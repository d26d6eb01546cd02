"""Helpers every query service shares: the read connection, literal substring matching and
keyset pagination (and ``load_row``, the repositories' read of one row by id).

A page is one statement: the rows (``limit + 1`` of them, to know whether another page follows)
with the total as an uncorrelated scalar sub-select, which PostgreSQL runs once per statement.
Only a page past the end needs a second statement for the total.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Hashable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Integer,
    Row,
    RowMapping,
    String,
    Table,
    bindparam,
    func,
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


async def read_all(reads: ReadPath, stmt: Select[Any], params: Mapping[str, Any]) -> list[Any]:
    """Every row of a prebuilt statement, read as ``read_first`` reads one."""
    try:
        return await reads.all(stmt, params)
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
    pattern = bindparam(None, like_pattern(text), type_=String(), unique=True, literal_execute=True)
    return column.ilike(pattern, escape="\\")


def like_pattern(text: str) -> str:
    """The ``ILIKE`` pattern matching ``text`` anywhere, with ``%``, ``_`` and ``\\`` literal."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains_param(column: ColumnElement[str], name: str) -> ColumnElement[bool]:
    """``contains`` for a statement built once (``PageStatements``): the pattern is parameter
    ``name`` (``like_pattern(text)``), rendered into the statement at each execution all the
    same."""
    return column.ilike(bindparam(name, type_=String(), literal_execute=True), escape="\\")


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
    pages = PageStatements(columns, source, sorts, id_column, count_source)
    return await pages.fetch(conn, None, lambda: where, {}, page)


_LIMIT, _OFFSET, _AFTER_VALUE, _AFTER_ID = "page_limit", "page_offset", "page_after_value", "page_after_id"


class PageStatements:
    """The statements of one paged query, built once per *shape* of filter and page and kept.

    Building a page's statement (columns, filter, keyset condition, the total as a sub-select)
    and its cache key costs ~330 us of SQLAlchemy Core per request on a busy list, more than
    PostgreSQL spends running it (docs/adr/0020-native-read-path.md). A caller whose filter
    takes its values as named bound parameters gives a hashable ``shape`` (which conditions
    are present) and the parameter values; the statement of that shape is built on first use,
    with the page size, offset and cursor bound too, and reused afterwards. With ``shape=None``
    the statement is built for this call only (filters with their values inline)."""

    MAX_SHAPES = 512  # a few dozen in practice: conditions present x sort x direction x cursor

    def __init__(
        self,
        columns: Sequence[Any],
        source: FromClause,
        sorts: Mapping[str, SortKey],
        id_column: ColumnElement[int],
        count_source: FromClause | None = None,
    ) -> None:
        self._columns, self._source, self._sorts = columns, source, sorts
        self._id, self._count_source = id_column, count_source
        self._built: dict[Any, tuple[Select[Any], Select[Any]]] = {}

    def _statements(
        self, where: Sequence[ColumnElement[bool]], sort: SortKey, descending: bool, keyset: bool
    ) -> tuple[Select[Any], Select[Any]]:
        order = (sort.column, self._id)
        stmt = select(*self._columns).select_from(self._source).where(*where)
        if keyset:
            # Bound with the columns' own types, so custom types (money in cents on SQLite, UTC
            # datetimes) convert the cursor's values exactly as they convert stored ones.
            bound = tuple_(
                bindparam(_AFTER_VALUE, type_=sort.column.type), bindparam(_AFTER_ID, type_=self._id.type)
            )
            stmt = stmt.where(tuple_(*order) < bound if descending else tuple_(*order) > bound)
        else:
            stmt = stmt.offset(bindparam(_OFFSET, type_=Integer()))
        total = select(func.count()).select_from(
            self._count_source if self._count_source is not None else self._source
        )
        total = total.where(*where).correlate(None)
        stmt = stmt.add_columns(total.scalar_subquery().label("_total"))
        stmt = stmt.order_by(*(c.desc() if descending else c.asc() for c in order))
        return stmt.limit(bindparam(_LIMIT, type_=Integer())), total

    def _prepared(
        self,
        shape: Hashable | None,
        where: Callable[[], Sequence[ColumnElement[bool]]],
        params: Mapping[str, Any],
        page: PageRequest,
    ) -> tuple[Select[Any], Select[Any], dict[str, Any], SortKey]:
        sort = self._sorts[page.sort.field]
        keyset = page.after is not None
        values = {**params, _LIMIT: page.limit + 1}
        if page.after is not None:
            try:
                values[_AFTER_VALUE], values[_AFTER_ID] = sort.decode(page.after[0]), _int(page.after[1])
            except (TypeError, ValueError, IndexError) as exc:
                raise BadRequest("cursor is not valid") from exc
        else:
            values[_OFFSET] = page.offset
        if shape is None:
            stmt, total = self._statements(where(), sort, page.sort.descending, keyset)
            return stmt, total, values, sort
        key = (shape, page.sort.field, page.sort.descending, keyset)
        built = self._built.get(key)
        if built is None:
            if len(self._built) >= self.MAX_SHAPES:
                self._built.clear()
            built = self._built[key] = self._statements(where(), sort, page.sort.descending, keyset)
        return built[0], built[1], values, sort

    def _finished(
        self, rows: list[Any], count: int, page: PageRequest, sort: SortKey
    ) -> tuple[list[Any], int, Key | None]:
        if len(rows) <= page.limit:
            return rows, count, None
        rows = rows[: page.limit]
        last = rows[-1]._mapping
        return rows, count, (sort.encode(last[str(sort.column.key)]), last[str(self._id.key)])

    async def fetch(
        self,
        conn: AsyncConnection,
        shape: Hashable | None,
        where: Callable[[], Sequence[ColumnElement[bool]]],
        params: Mapping[str, Any],
        page: PageRequest,
    ) -> tuple[list[Row[Any]], int, Key | None]:
        """The page on ``conn`` (SQLAlchemy)."""
        stmt, total, values, sort = self._prepared(shape, where, params, page)
        rows = list((await conn.execute(stmt, values)).all())
        count = rows[0]._mapping["_total"] if rows else (await conn.scalar(total, params)) or 0
        return self._finished(rows, count, page, sort)

    async def read(
        self,
        reads: ReadPath,
        shape: Hashable,
        where: Callable[[], Sequence[ColumnElement[bool]]],
        params: Mapping[str, Any],
        page: PageRequest,
    ) -> tuple[list[Any], int, Key | None]:
        """The page from ``reads``: on PostgreSQL's native path when it has one (the statement
        is prebuilt per shape, so it qualifies), else through SQLAlchemy."""
        stmt, total, values, sort = self._prepared(shape, where, params, page)
        rows = await read_all(reads, stmt, values)
        if rows:
            count = rows[0]._mapping["_total"]
        else:
            row = await read_first(reads, total, params)  # a page past the end: count apart
            count = next(iter(row._mapping.values())) if row is not None else 0
        return self._finished(rows, count or 0, page, sort)
