"""The async engine, the session factory, and the translation of driver errors.

SQLite gets the two fixes from SQLAlchemy's SQLite dialect docs: the driver's own BEGIN handling
is switched off and SQLAlchemy emits ``BEGIN IMMEDIATE`` itself, so savepoints work and a write
transaction takes its lock up front instead of failing with SQLITE_BUSY half-way through.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from application.common import TransientConflict
from domain.errors import AlreadyExists, Conflict
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
        return engine
    return create_async_engine(
        settings.database_url,
        echo=settings.db_echo,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_recycle=settings.db_pool_recycle,
        pool_pre_ping=settings.db_pool_pre_ping,
        connect_args={"timeout": settings.db_pool_timeout},
    )


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
