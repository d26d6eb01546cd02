"""The async engine, the session factory, and the translation of driver errors.

SQLite gets the two fixes from SQLAlchemy's SQLite dialect docs: the driver's own BEGIN handling
is switched off and SQLAlchemy emits ``BEGIN IMMEDIATE`` itself, so savepoints work and a write
transaction takes its lock up front instead of failing with SQLITE_BUSY half-way through.
"""

from __future__ import annotations

from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from application.common import TransientConflict
from domain.errors import AlreadyExists, Conflict
from infrastructure.observability.sql import instrument_engine
from infrastructure.persistence.models import UNIQUE_CONSTRAINTS
from infrastructure.settings import Settings


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
    engine = create_async_engine(
        settings.database_url,
        echo=settings.db_echo,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_recycle=settings.db_pool_recycle,
        pool_pre_ping=settings.db_pool_pre_ping,
        # Connecting and every statement are bounded, so an unreachable or stuck server turns
        # into a 503 (``is_unavailable``) instead of a request that hangs.
        connect_args={"timeout": settings.db_pool_timeout, "command_timeout": settings.db_command_timeout},
    )
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


def read_engine(engine: AsyncEngine) -> AsyncEngine:
    """The same pool in autocommit mode, for query services: a read needs no BEGIN/ROLLBACK
    round trips around its one statement (docs/adr/0004-read-path.md)."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def translate_integrity_error(error: IntegrityError) -> Exception:
    """A unique violation becomes ``AlreadyExists`` naming the field; any other integrity error
    (a foreign key) becomes ``Conflict``. Works on both drivers' messages."""
    message = str(error.orig)
    for marker, (entity, field) in UNIQUE_CONSTRAINTS.items():
        if marker in message:
            return AlreadyExists(entity, field)
    return Conflict("The change conflicts with existing data")


# PostgreSQL serialization_failure and deadlock_detected; SQLite's busy/locked file.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})
TRANSIENT_SQLITE_MESSAGES = ("database is locked", "database table is locked")


def transient_conflict(error: DBAPIError) -> TransientConflict | None:
    """``TransientConflict`` when a retry of the whole unit of work may succeed, else None."""
    orig = error.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "__cause__", None), "sqlstate", None)
    if sqlstate in TRANSIENT_SQLSTATES or any(m in str(orig) for m in TRANSIENT_SQLITE_MESSAGES):
        return TransientConflict()
    return None


# --- the database is unreachable --------------------------------------------------------------

# Exception classes that may mean "the database cannot be reached right now"; the HTTP layer
# registers its 503 handler for these and asks ``is_unavailable`` about each instance.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.DBAPIError,  # OperationalError, InterfaceError, or any error that invalidated the connection
    sa_exc.TimeoutError,  # no pooled connection within DB_POOL_TIMEOUT
    OSError,  # refused, reset, unreachable, DNS, connect or command timeout (TimeoutError)
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up
    asyncpg.exceptions.TooManyConnectionsError,
)

_DRIVER_UNAVAILABLE = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
)


def is_unavailable(error: BaseException) -> bool:
    """True when ``error`` says the database is unreachable, stopped, overloaded or too slow
    (worth a 503 and a retry), False for errors in the statement or the data (a bug: 500)."""
    if isinstance(error, (sa_exc.TimeoutError, *_DRIVER_UNAVAILABLE)):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        return (
            error.connection_invalidated
            or isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError))
            or isinstance(error.orig, _DRIVER_UNAVAILABLE)
            or isinstance(getattr(error.orig, "__cause__", None), _DRIVER_UNAVAILABLE)
        )
    return False


def is_invalid_data(error: BaseException) -> bool:
    """True for a PostgreSQL data exception (SQLSTATE class 22: a NUL character in text, a value
    too long or out of range): the request carried a value the column cannot hold, which the
    edge validation should have refused. Worth a 422, not a 500."""
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    for candidate in (error.orig, getattr(error.orig, "__cause__", None)):
        sqlstate = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(sqlstate, str) and sqlstate.startswith("22"):
            return True
    return False
