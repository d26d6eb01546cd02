"""The async engine and the session factory (driver errors are classified in ``errors.py``).

SQLite gets the two fixes from SQLAlchemy's SQLite dialect docs: the driver's own BEGIN handling
is switched off and SQLAlchemy emits ``BEGIN IMMEDIATE`` itself, so savepoints work and a write
transaction takes its lock up front instead of failing with SQLITE_BUSY half-way through.

MariaDB/MySQL (asyncmy, docs/adr/0012-mariadb-driver.md, 0013-mariadb-portability.md): READ
COMMITTED, as PostgreSQL's default (InnoDB's REPEATABLE READ takes gap locks that block unrelated
inserts); strict SQL mode, so a value the column cannot hold is an error and never a warning;
UTC session time zone; the connect timeout, and a server-side statement limit
(``max_statement_time``) with a client read timeout a little longer as the backstop for a server
that stops answering; a lock wait ends before the statement limit (``innodb_lock_wait_timeout``),
as a transient conflict rather than an outage.
"""

from __future__ import annotations

import contextlib
import math
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.sql import Select

from infrastructure.observability.logs import get_logger
from infrastructure.observability.metrics import DB_READ_FALLBACKS
from infrastructure.observability.sql import instrument_engine
from infrastructure.persistence.errors import is_unavailable
from infrastructure.persistence.models import is_mysql_family
from infrastructure.persistence.native import close_native_pool, native_pool
from infrastructure.persistence.turns import engine_turns
from infrastructure.settings import Settings

_log = get_logger("bazaar.db")
MYSQL_SQL_MODE = (
    "STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
)
# PgBouncer in transaction mode hands each transaction to any server connection, and Debian's
# 1.18 does not track prepared statements: asyncpg's statement cache and SQLAlchemy's are off,
# and every statement SQLAlchemy prepares gets a name no other client uses (SQLAlchemy's asyncpg
# dialect documentation, "Prepared Statement Name with PGBouncer"). Cost: a Parse per statement
# (README "Running at scale").
PGBOUNCER_CONNECT_ARGS: dict[str, Any] = {
    "statement_cache_size": 0,
    "prepared_statement_cache_size": 0,
    "prepared_statement_name_func": lambda: f"__asyncpg_{uuid.uuid4().hex}__",
}
# Seconds the client waits for an answer beyond the server's own statement limit.
MYSQL_READ_TIMEOUT_MARGIN = 2.0


def create_engine(settings: Settings) -> AsyncEngine:
    if settings.is_sqlite:
        engine = create_async_engine(
            settings.database_url,
            echo=settings.db_echo,
            connect_args={"timeout": settings.db_pool_timeout},
        )
        _configure_sqlite(engine)
        instrument_engine(engine.sync_engine, settings.slow_query_ms)
        return engine
    if is_mysql_family(make_url(settings.database_url).get_backend_name()):
        return _create_mysql_engine(settings)
    # Connecting and every statement are bounded, so an unreachable or stuck server turns
    # into a 503 (``errors.is_unavailable``) instead of a request that hangs.
    connect_args: dict[str, Any] = {
        "timeout": settings.db_pool_timeout,
        "command_timeout": settings.db_command_timeout,
    }
    if settings.db_pgbouncer:
        connect_args.update(PGBOUNCER_CONNECT_ARGS)
    engine = create_async_engine(settings.database_url, **_pool_options(settings), connect_args=connect_args)
    instrument_engine(engine.sync_engine, settings.slow_query_ms)
    return engine


def _pool_options(settings: Settings) -> dict[str, Any]:
    """The pool of a client-server engine (PostgreSQL, MariaDB): sized, bounded waits, recycled,
    pinged before use when configured."""
    return {
        "echo": settings.db_echo,
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout,
        "pool_recycle": settings.db_pool_recycle,
        "pool_pre_ping": settings.db_pool_pre_ping,
    }


def _create_mysql_engine(settings: Settings) -> AsyncEngine:
    engine = create_async_engine(
        settings.database_url,
        **_pool_options(settings),
        isolation_level="READ COMMITTED",
        connect_args={
            "connect_timeout": max(1, math.ceil(settings.db_pool_timeout)),
            "read_timeout": settings.db_command_timeout + MYSQL_READ_TIMEOUT_MARGIN,
            "charset": "utf8mb4",
        },
    )
    statement_limit = settings.db_command_timeout
    lock_wait = max(1, math.floor(statement_limit) - 1)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT VERSION()")
        mariadb = "mariadb" in str(cursor.fetchone()[0]).lower()
        limit = (
            f"max_statement_time = {statement_limit:g}"
            if mariadb
            else f"max_execution_time = {math.ceil(statement_limit * 1000)}"  # MySQL: SELECTs only
        )
        cursor.execute(
            f"SET sql_mode = '{MYSQL_SQL_MODE}', time_zone = '+00:00', "
            f"innodb_lock_wait_timeout = {lock_wait}, {limit}"
        )
        cursor.close()

    instrument_engine(engine.sync_engine, settings.slow_query_ms)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def autocommit(engine: AsyncEngine, behind_pgbouncer: bool = False) -> AsyncEngine:
    """The same pool in autocommit mode, for query services: a read needs no BEGIN/ROLLBACK
    round trips around its one statement (docs/adr/0004-read-path.md).

    Not on MariaDB/MySQL: the driver sends no BEGIN there (a transaction starts implicitly), and
    switching a pooled connection to autocommit and back would cost two ``SET`` round trips per
    read where the implicit transaction costs one ROLLBACK.

    Not behind PgBouncer in transaction mode either: outside a transaction it may hand a
    statement's Parse and its Execute to two different server connections ("prepared statement
    ... does not exist"); inside BEGIN ... ROLLBACK both go to the same one."""
    if is_mysql_family(engine.dialect) or behind_pgbouncer:
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def create_replica_engine(settings: Settings) -> AsyncEngine | None:
    """The engine of ``DATABASE_READ_URL`` (None without one): the primary's settings, and a
    ping at every checkout, so a replica that went away is noticed before a read uses it and the
    read goes to the primary instead (``ReadPath``). Never through PgBouncer's settings: the
    replica is reached directly."""
    if not settings.database_read_url:
        return None
    replica = settings.model_copy(
        update={"database_url": settings.database_read_url, "db_pool_pre_ping": True, "db_pgbouncer": False}
    )
    return autocommit(create_engine(replica))


class ReadPath:
    """Where a query service reads: the replica when there is one and it answers, else the
    primary. A replica that refuses a connection is skipped for ``fallback_seconds`` (one
    refused connect per period, not one per read) and each read sent to the primary instead is
    counted in ``db_read_fallbacks_total``. A write's own view uses a path without a replica, so
    a client always reads its own write (README "Running at scale")."""

    def __init__(
        self,
        primary: AsyncEngine,
        replica: AsyncEngine | None = None,
        fallback_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        settings: Settings | None = None,
    ) -> None:
        self.primary, self.replica = primary, replica
        self._fallback_seconds, self._clock = fallback_seconds, clock
        self._replica_refused_until = 0.0
        self._turns = engine_turns(primary, settings.db_pool_timeout) if settings is not None else None
        # PostgreSQL's fast path for prebuilt by-id reads (``first``), when enabled.
        self._native = native_pool(primary, settings) if settings is not None else None
        self._native_replica = (
            native_pool(replica, settings) if settings is not None and replica is not None else None
        )

    @property
    def dialect(self) -> Dialect:
        return self.primary.dialect

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        replica = await self._replica_connection()
        if replica is not None:
            try:
                yield replica
            finally:
                await replica.close()
            return
        async with self._turns or contextlib.nullcontext():  # in arrival order (turns.py)
            conn = await self.primary.connect().start()
            try:
                yield conn
            finally:
                await conn.close()

    async def first(self, stmt: Select[Any], params: Mapping[str, Any]) -> Any:
        """The first row of a *prebuilt* statement (built once, kept for the process), or None:
        on the native pool when there is one (``infrastructure.persistence.native``), else
        through SQLAlchemy. Rows are read as ``row._mapping[...]`` either way."""
        if self._native is None:
            async with self.connect() as conn:
                return (await conn.execute(stmt, params)).first()
        rows = await self._native_rows(stmt, params, one=True)
        return rows[0] if rows else None

    async def all(self, stmt: Select[Any], params: Mapping[str, Any]) -> list[Any]:
        """Every row of a prebuilt statement, as ``first`` reads one."""
        if self._native is None:
            async with self.connect() as conn:
                return list((await conn.execute(stmt, params)).all())
        return await self._native_rows(stmt, params, one=False)

    async def _native_rows(self, stmt: Select[Any], params: Mapping[str, Any], one: bool) -> list[Any]:
        assert self._native is not None
        if self._native_replica is not None and self._replica_usable():
            try:
                if one:
                    row = await self._native_replica.first(stmt, params)
                    return [] if row is None else [row]
                return await self._native_replica.all(stmt, params)
            except Exception as error:
                if not is_unavailable(error):
                    raise
                self._refuse_replica(error)
        if one:
            row = await self._native.first(stmt, params)
            return [] if row is None else [row]
        return await self._native.all(stmt, params)

    def _replica_usable(self) -> bool:
        if self._clock() < self._replica_refused_until:
            DB_READ_FALLBACKS.inc()
            return False
        return True

    def _refuse_replica(self, error: Exception) -> None:
        self._replica_refused_until = self._clock() + self._fallback_seconds
        DB_READ_FALLBACKS.inc()
        _log.warning("read replica unavailable: reading from the primary", error=type(error).__name__)

    async def _replica_connection(self) -> AsyncConnection | None:
        if self.replica is None or not self._replica_usable():
            return None
        try:
            return await self.replica.connect().start()
        except Exception as error:
            if not is_unavailable(error):
                raise
            self._refuse_replica(error)
            return None


async def dispose_engines(*engines: AsyncEngine | None) -> None:
    """Close each engine's pools: its native pool (if it has one), then SQLAlchemy's."""
    for engine in engines:
        if engine is not None:
            await close_native_pool(engine)
            await engine.dispose()


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
