"""PostgreSQL's fast read path: prebuilt SQLAlchemy Core statements run on an asyncpg pool.

The statement is the query service's own (one source of SQL for every engine), compiled once
by the asyncpg dialect; each run binds its parameters with the columns' bind processors, sends
it with asyncpg (which prepares it once per connection) and applies the columns' result
processors, so a row holds exactly what SQLAlchemy would have returned. What it skips is
SQLAlchemy's per-execution machinery: the pool checkout and the autocommit switch, the execution
context, the greenlet hop, the cursor adapter and the row processors, measured at ~230 us of
the ~290 us of CPU a by-id read cost (docs/adr/0020-native-read-path.md).

Used for the by-id reads of the hot endpoints (an item, the caller's own user), only on
PostgreSQL through asyncpg and never behind PgBouncer (``DB_NATIVE_READS``; README
"Performance"). Everything else reads through SQLAlchemy. The pool belongs to the engine's
pool (one per process and database, however many containers share the engine), opens
connections on demand, and never resets a connection it takes back: the connections only ever
run single autocommit SELECTs, which leave no session state behind.
"""

from __future__ import annotations

import asyncio
import functools
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import Select
from sqlalchemy.sql.compiler import SQLCompiler

from infrastructure.observability.sql import count_statement, report_if_slow
from infrastructure.persistence.turns import Turns
from infrastructure.settings import Settings


@functools.cache
def _dialect() -> Any:
    """The asyncpg dialect, imported when the first statement is compiled: importing it costs
    ~50 ms of start-up that a process not on PostgreSQL should not pay."""
    from sqlalchemy.dialects.postgresql.asyncpg import dialect

    return dialect()  # type: ignore[no-untyped-call]


# Prebuilt statements only: a process holds a handful. The bound stops a caller that builds its
# statement per request from growing this for ever (it would recompile each time, and is a bug).
MAX_STATEMENTS = 256


class _NoResetConnection(asyncpg.Connection):  # type: ignore[misc]
    """No reset query when the pool takes a connection back (a round trip per read otherwise):
    nothing here changes session state."""

    def get_reset_query(self) -> str:
        return ""


@dataclass(slots=True)
class _Compiled:
    compiled: SQLCompiler
    sql: str
    names: tuple[str, ...]
    bind: tuple[Callable[[Any], Any] | None, ...]
    # Parameters rendered into the text at each run (``literal_execute``: a search pattern the
    # planner must see, ADR 9): the text is then expanded per run, the rest as above.
    expands: bool
    keys: tuple[str, ...]
    types: tuple[Any, ...]
    # The columns' result processors depend on the type the server sends (a numeric arrives
    # as numeric or as float8): known after the first prepare, then kept.
    results: tuple[Callable[[Any], Any] | None, ...] | None = None

    def statement(self, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
        """The SQL text and the positional arguments of one run, bind processors applied."""
        if not self.expands:
            values = (params[name] for name in self.names)
            return self.sql, [v if p is None else p(v) for p, v in zip(self.bind, values, strict=True)]
        expanded = self.compiled.construct_expanded_state(dict(params))
        processors = expanded.processors
        args = []
        for name in expanded.positiontup or ():
            value, processor = expanded.parameters[name], processors.get(name)
            args.append(value if processor is None else cast(Callable[[Any], Any], processor)(value))
        return expanded.statement, args

    async def prepare(self, conn: asyncpg.Connection, sql: str) -> tuple[Callable[[Any], Any] | None, ...]:
        statement = await conn.prepare(sql)
        oids = [attribute.type.oid for attribute in statement.get_attributes()]
        self.results = tuple(
            kind._cached_result_processor(_dialect(), oid) for kind, oid in zip(self.types, oids, strict=True)
        )
        return self.results

    def row(self, record: Any, results: tuple[Callable[[Any], Any] | None, ...]) -> NativeRow:
        values = dict(zip(self.keys, record, strict=True))
        for key, proc in zip(self.keys, results, strict=True):
            if proc is not None:
                values[key] = proc(values[key])
        return NativeRow(values)


def _compile(stmt: Select[Any]) -> _Compiled:
    compiled = stmt.compile(dialect=_dialect())
    names = tuple(compiled.positiontup or ())
    processors = compiled._bind_processors
    bind = tuple(cast(Callable[[Any], Any] | None, processors.get(name)) for name in names)
    columns = compiled._result_columns
    return _Compiled(
        compiled,
        compiled.string,
        names,
        bind,
        "__[POSTCOMPILE" in compiled.string,
        tuple(c.keyname for c in columns),
        tuple(c.type for c in columns),
    )


class NativeRow:
    """A result row as the query services read it: ``row._mapping["column"]``."""

    __slots__ = ("_mapping",)

    def __init__(self, mapping: Mapping[str, Any]) -> None:
        self._mapping = mapping


class NativePool:
    """An asyncpg pool on the engine's database, with the engine's connect and statement
    timeouts, running prebuilt statements (:meth:`first`)."""

    def __init__(
        self,
        url: str,
        size: int,
        connect_timeout: float,
        command_timeout: float,
        slow_seconds: float,
        listeners: list[Callable[[str, Sequence[Any]], None]] | None = None,
    ) -> None:
        self._url, self._size = url, size
        self._connect_timeout, self._command_timeout = connect_timeout, command_timeout
        self._slow_seconds = slow_seconds
        self._pool: asyncpg.Pool | None = None
        self._opening: asyncio.Lock | None = None
        self._statements: dict[int, tuple[Select[Any], _Compiled]] = {}
        self._listeners = listeners if listeners is not None else []
        self._turns = Turns(size, connect_timeout)  # waiters served in arrival order

    async def _ready(self) -> asyncpg.Pool:
        if self._pool is not None:
            return self._pool
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._url,
                    min_size=0,
                    max_size=self._size,
                    timeout=self._connect_timeout,
                    command_timeout=self._command_timeout,
                    connection_class=_NoResetConnection,
                    ssl=False,
                )
        return self._pool

    def _compiled(self, stmt: Select[Any]) -> _Compiled:
        entry = self._statements.get(id(stmt))
        if entry is not None and entry[0] is stmt:
            return entry[1]
        if len(self._statements) >= MAX_STATEMENTS:
            self._statements.clear()
        compiled = _compile(stmt)
        self._statements[id(stmt)] = (stmt, compiled)
        return compiled

    async def first(self, stmt: Select[Any], params: Mapping[str, Any]) -> NativeRow | None:
        """The first row of a prebuilt statement, or None."""
        rows = await self._run(stmt, params, one=True)
        return rows[0] if rows else None

    async def all(self, stmt: Select[Any], params: Mapping[str, Any]) -> list[NativeRow]:
        """Every row of a prebuilt statement."""
        return await self._run(stmt, params, one=False)

    async def _run(self, stmt: Select[Any], params: Mapping[str, Any], one: bool) -> list[NativeRow]:
        """Counted in the request's statements and reported when slow, as the engine's
        statements are. The connection goes back to the pool as soon as the rows have arrived:
        converting them happens after (a list page holds it for its statement only)."""
        compiled = self._compiled(stmt)
        sql, args = compiled.statement(params)
        pool = await self._ready()
        count_statement()
        for listener in self._listeners:
            listener(sql, args)
        # An error while connecting stays the driver's own (``is_unavailable``: a 503); one from
        # the statement is wrapped as SQLAlchemy wraps it, so ``translate`` classifies it alike.
        # A turn guarantees a free or a new connection: no wait in the pool beyond connecting
        # (bounded by its connect timeout), so no per-call timer (asyncpg runs one as a task).
        async with self._turns, pool.acquire() as conn:
            started = time.perf_counter()
            try:
                results = compiled.results or await compiled.prepare(conn, sql)
                if one:
                    record = await conn.fetchrow(sql, *args)
                    records = [] if record is None else [record]
                else:
                    records = await conn.fetch(sql, *args)
            except asyncpg.PostgresError as error:
                raise sa_exc.DBAPIError.instance(sql, args, error, asyncpg.PostgresError) from error
            except asyncpg.InterfaceError as error:  # the connection went away under the statement
                raise sa_exc.InterfaceError(sql, args, error) from error
        report_if_slow(sql, time.perf_counter() - started, self._slow_seconds)
        return [compiled.row(record, results) for record in records]

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def terminate(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None


# One native pool per engine pool: containers sharing an engine (and the autocommit copies of
# it) share its native pool, and it closes with the engine (``close_native_pool``).
_POOLS: weakref.WeakKeyDictionary[Any, NativePool] = weakref.WeakKeyDictionary()


def native_pool(engine: AsyncEngine, settings: Settings) -> NativePool | None:
    """The engine's native pool, sized and bounded as the engine's: None unless
    ``DB_NATIVE_READS`` is on, the engine is PostgreSQL through asyncpg, and not behind PgBouncer
    (which would need a transaction around every read: README "Running at scale")."""
    url = engine.url
    if (
        not settings.db_native_reads
        or settings.db_pgbouncer
        or url.get_backend_name() != "postgresql"
        or url.get_driver_name() != "asyncpg"
    ):
        return None
    key = engine.sync_engine.pool
    pool = _POOLS.get(key)
    if pool is None:
        pool = _POOLS[key] = NativePool(
            url.set(drivername="postgresql").render_as_string(hide_password=False),
            size=settings.db_pool_size,
            connect_timeout=settings.db_pool_timeout,
            command_timeout=settings.db_command_timeout,
            slow_seconds=settings.slow_query_ms / 1000,
            listeners=statement_listeners(engine),
        )
    return pool


_LISTENERS: weakref.WeakKeyDictionary[Any, list[Callable[[str, Sequence[Any]], None]]] = (
    weakref.WeakKeyDictionary()
)


def statement_listeners(engine: AsyncEngine) -> list[Callable[[str, Sequence[Any]], None]]:
    """Callables given the SQL and the arguments of each statement the engine's native pool
    sends (what the engine's ``before_cursor_execute`` event is for its own): tests count and
    EXPLAIN statements with it."""
    return _LISTENERS.setdefault(engine.sync_engine.pool, [])


async def close_native_pool(engine: AsyncEngine) -> None:
    pool = _POOLS.pop(engine.sync_engine.pool, None)
    if pool is not None:
        await pool.close()
