"""The async engine and the session factory (driver errors are classified in ``errors.py``).

SQLite gets the two fixes from SQLAlchemy's SQLite dialect docs: the driver's own BEGIN handling
is switched off and SQLAlchemy emits ``BEGIN IMMEDIATE`` itself, so savepoints work and a write
transaction takes its lock up front instead of failing with SQLITE_BUSY half-way through.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from infrastructure.observability.sql import instrument_engine
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
        # into a 503 (``errors.is_unavailable``) instead of a request that hangs.
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
