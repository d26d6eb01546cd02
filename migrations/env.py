"""Async Alembic environment. The URL comes from the caller (``config.attributes``) or from
Bazaar's settings, so ``alembic``, ``bazaar migrate`` and the tests all agree."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any, Literal

import sqlalchemy as sa
from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from infrastructure.persistence.models import POSTGRESQL_ONLY_INDEXES, Base, Money, UtcDateTime
from infrastructure.settings import Settings

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _url() -> str:
    return str(config.attributes.get("database_url") or Settings().database_url)


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Revisions must not import model code: render our UTC type as a plain timestamptz."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, Money):
        return "sa.Numeric(precision=12, scale=2)"
    return False


def _compare_type(
    ctx: Any, inspected_column: Any, metadata_column: Any, inspected_type: Any, metadata_type: Any
) -> bool | None:
    """``Money`` is declared ``numeric(12,2)`` on every backend (SQLite keeps integer cents in
    it); compare that declaration, not the per-dialect storage type. Everything else: default."""
    if isinstance(metadata_type, Money):
        return not (
            isinstance(inspected_type, sa.Numeric)
            and (inspected_type.precision, inspected_type.scale) == (12, 2)
        )
    return None


def _include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """PostgreSQL-only indexes (pg_trgm GIN, created with ``ddl_if``) do not exist on SQLite, so
    autogenerate must not compare them there; on PostgreSQL they are compared like any other."""
    if type_ == "index" and name in POSTGRESQL_ONLY_INDEXES:
        return bool(context.get_context().dialect.name == "postgresql")
    return True


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    context.configure(
        render_item=_render_item,
        include_object=_include_object,
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only ALTER through table copies
        compare_type=_compare_type,
        compare_server_default=False,
    )


def run_migrations_offline() -> None:
    _configure(url=_url())
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    engine = create_async_engine(_url(), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run_sync)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
