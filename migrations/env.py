"""Async Alembic environment. The URL comes from the caller (``config.attributes``) or from
Bazaar's settings, so ``alembic``, ``bazaar migrate`` and the tests all agree.

MariaDB/MySQL commit every DDL statement on their own: a revision that fails half-way cannot be
rolled back. There each revision runs in its own transaction (``alembic_version`` always names
the last revision that completed), and a failure raises ``PartialMigration`` listing what the
failed revision had already committed, instead of a bare driver error."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any, Literal

import sqlalchemy as sa
from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import event, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from infrastructure.migrations import PartialMigration
from infrastructure.persistence.models import DIALECT_INDEXES, Base, Money, UtcDateTime, is_mysql_family
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
        autogen_context.imports.add("from sqlalchemy.dialects import mysql")
        return "sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb')"
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
    if isinstance(metadata_type, UtcDateTime) and is_mysql_family(ctx.dialect):
        return getattr(inspected_type, "fsp", None) != 6  # DATETIME(6): microseconds kept
    return None


def _include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Indexes of some engines only (PostgreSQL's pg_trgm GIN, the partial indexes of PostgreSQL
    and SQLite, MariaDB's flag-led replacements; created with ``ddl_if``) are compared on those
    engines only, like any other index there."""
    if type_ == "index" and name in DIALECT_INDEXES:
        return context.get_context().dialect.name in DIALECT_INDEXES[name]
    return True


def _configure(connection: Connection | None = None, url: str | None = None, **options: Any) -> None:
    context.configure(
        **options,
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
    if not is_mysql_family(connection.dialect):
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    committed: list[str] = []  # statements of the revision under way (each DDL commits itself)

    @event.listens_for(connection, "after_cursor_execute")
    def _executed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        committed.append(" ".join(statement.split())[:300])

    def _applied(**_kw: Any) -> None:
        committed.clear()

    _configure(connection=connection, transaction_per_migration=True, on_version_apply=_applied)
    try:
        with context.begin_transaction():
            context.run_migrations()
    except Exception as error:
        try:
            at = context.get_context().get_current_revision()
        except Exception:  # noqa: BLE001 - the server may be gone; the report still helps
            at = "unknown"
        raise PartialMigration(at, [s for s in committed if _changes_schema(s)], error) from error


def _changes_schema(statement: str) -> bool:
    words = statement.upper().split()
    ddl = bool(words) and words[0] in ("CREATE", "ALTER", "DROP", "RENAME")
    return ddl and "ALEMBIC_VERSION" not in words


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
