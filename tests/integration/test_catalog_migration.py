"""Migration 0002 (catalog): upgrade, downgrade, upgrade again, and no drift between the models
and the migrated schema (``alembic check``) on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
import pytest
from alembic import command
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from infrastructure.migrations import alembic_config
from tests.conftest import PG_ADMIN_URL, _asyncpg_url, _pg_reachable

# SQLite cannot reflect expression indexes (lower(title)); Alembic and SQLAlchemy say so.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection:sqlalchemy.exc.SAWarning"),
    pytest.mark.filterwarnings("ignore:autogenerate skipping:UserWarning"),
]


def _round_trip(url: str) -> None:
    config = alembic_config(url)
    config.attributes["skip_logging"] = True
    command.upgrade(config, "head")
    command.check(config)
    command.downgrade(config, "0001")
    command.upgrade(config, "head")
    command.check(config)


async def _tables_and_indexes(url: str) -> tuple[set[str], set[str]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:

            def read(sync_conn):  # type: ignore[no-untyped-def]
                inspector = inspect(sync_conn)
                tables = set(inspector.get_table_names())
                indexes = {i["name"] for i in inspector.get_indexes("items")} if "items" in tables else set()
                return tables, indexes

            return await conn.run_sync(read)
    finally:
        await engine.dispose()


async def test_catalog_migration_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'migrate.db'}"
    await asyncio.to_thread(_round_trip, url)
    tables, indexes = await _tables_and_indexes(url)
    assert {"items", "tags", "item_tags"} <= tables
    assert "ix_items_title_trgm" not in indexes and "ix_items_price" in indexes


async def test_catalog_migration_on_postgresql() -> None:
    if not _pg_reachable():
        pytest.skip("PostgreSQL not reachable")
    name = f"bazaar_test_mig_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = _asyncpg_url(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    try:
        await asyncio.to_thread(_round_trip, url)
        tables, indexes = await _tables_and_indexes(url)
        assert {"items", "tags", "item_tags"} <= tables
        assert {
            "ix_items_title_trgm",
            "ix_items_active_created_at",
            "uq_items_owner_id_title_lower",
        } <= indexes
    finally:
        admin = await asyncpg.connect(PG_ADMIN_URL)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
