"""Migration safety, on fresh PostgreSQL and MariaDB databases of their own (not the session's)
and on SQLite:

* every revision upgrades and downgrades one step at a time, with rows in the tables while it
  runs (``SEEDS`` inserts into whichever known tables exist at that revision);
* head → base → head again works with data present, and the data written after the round trip
  is readable;
* ``alembic check`` finds no drift between the models and the migrations;
* on MariaDB, whose DDL commits itself, a revision failing half-way says what it left behind.

Revisions are discovered from the script directory, so revisions added later are walked too;
a context whose revision transforms data adds its rows to ``SEEDS``.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from infrastructure import migrations
from infrastructure.migrations import PartialMigration
from infrastructure.persistence.models import indexes_on
from tests import conftest

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

# table → rows to insert when the table exists (ids chosen so reruns after a downgrade do not clash)
SEEDS: dict[str, Callable[[int], list[dict[str, object]]]] = {
    "users": lambda n: [
        {
            "id": 1000 + n * 10 + i,
            "email": f"m{n}-{i}@example.com",
            "username": f"mig{n}_{i}",
            "full_name": None,
            "password_hash": "x",
            "is_active": True,
            "is_superuser": False,
            "is_deleted": False,
            "deleted_at": None,
            "created_at": NOW,
            "updated_at": NOW,
        }
        for i in range(2)
    ],
    "profiles": lambda n: [{"user_id": 1000 + n * 10, "bio": "hello", "avatar_url": None}],
    "login_attempts": lambda n: [{"login_key": f"mig{n}", "attempted_at": NOW}],
    "login_throttles": lambda n: [{"key": f"mig{n}", "window_started_at": NOW, "attempts": 1}],
    "posts": lambda n: [
        {
            "id": 7000 + n,
            "title": f"mig{n}",
            "content": "hello",
            "author_id": 1000 + n * 10,
            "created_at": NOW,
            "updated_at": NOW,
        }
    ],
    "accounts": lambda n: [
        {"id": 5000 + n, "owner_id": 1000 + n * 10, "name": f"mig{n}", "balance": 0, "created_at": NOW}
    ],
    "orders": lambda n: [
        {
            "id": 7000 + n,
            "buyer_id": 1000 + n * 10,
            "status": "pending",
            "total": 0,
            "paid_from_account_id": None,
            "created_at": NOW,
            "updated_at": NOW,
        }
    ],
}


def config(url: str) -> Config:
    cfg = migrations.alembic_config(url)
    cfg.attributes["skip_logging"] = True  # keep the test process' logging as it is
    return cfg


def revisions() -> list[str]:
    script = ScriptDirectory.from_config(migrations.alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


async def seed(url: str, round_: int) -> dict[str, int]:
    """Inserts ``SEEDS`` rows into the tables that exist now; returns every table's row count."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
            columns = {
                t: await conn.run_sync(lambda sync, t=t: {c["name"] for c in inspect(sync).get_columns(t)})
                for t in tables
            }
            for table, rows in SEEDS.items():
                if table in tables:
                    await _insert(conn, table, [r for r in rows(round_) if set(r) <= columns[table]])
            return {t: (await conn.scalar(text(f"SELECT count(*) FROM {t}"))) or 0 for t in tables}
    finally:
        await engine.dispose()


async def index_names(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                listed = "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'"
            elif engine.dialect.name in ("mysql", "mariadb"):
                listed = (
                    "SELECT DISTINCT index_name FROM information_schema.statistics "
                    "WHERE table_schema = DATABASE() AND index_name <> 'PRIMARY'"
                )
            else:
                listed = "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
            found = {name for (name,) in (await conn.execute(text(listed))).all()}
            return {name for name in found if not name.startswith("alembic_version")}
    finally:
        await engine.dispose()


async def _insert(conn: AsyncConnection, table: str, rows: list[dict[str, object]]) -> None:
    quote = conn.dialect.identifier_preparer.quote
    for row in rows:
        names = ", ".join(quote(c) for c in row)
        values = ", ".join(f":{c}" for c in row)
        await conn.execute(text(f"INSERT INTO {quote(table)} ({names}) VALUES ({values})"), row)


@pytest.fixture
async def fresh_pg_url(pg_url: str) -> AsyncIterator[str]:
    """A database of its own (the session database stays at head for the other tests)."""
    name = f"bazaar_migr_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(conftest.PG_ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield pg_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin = await asyncpg.connect(conftest.PG_ADMIN_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
async def fresh_mariadb_url(mariadb_url: str) -> AsyncIterator[str]:
    name = f"bazaar_migr_{uuid.uuid4().hex[:10]}"
    await conftest.mariadb_admin(f"CREATE DATABASE `{name}`")
    try:
        yield conftest.mariadb_url_of(name)
    finally:
        await conftest.mariadb_admin(f"DROP DATABASE IF EXISTS `{name}`")


async def test_migrations_walk_and_match_the_models_on_postgresql(fresh_pg_url: str) -> None:
    await walk_migrations(fresh_pg_url)


async def test_migrations_walk_and_match_the_models_on_mariadb(fresh_mariadb_url: str) -> None:
    await walk_migrations(fresh_mariadb_url)


async def test_a_revision_failing_half_way_on_mariadb_says_what_it_left(
    fresh_mariadb_url: str, tmp_path: Path
) -> None:
    """MariaDB commits each DDL statement: a revision that fails after its first statement cannot
    be rolled back. The failure names the revision the database is at and the statements that
    stayed, and ``alembic_version`` still names the last revision that completed."""
    scripts = tmp_path / "migrations"
    shutil.copytree(migrations.ROOT / "migrations", scripts, ignore=shutil.ignore_patterns("__pycache__"))
    head = revisions()[-1]
    (scripts / "versions" / "9999_broken.py").write_text(
        "from alembic import op\n"
        "import sqlalchemy as sa\n"
        "revision = '9999'\n"
        f"down_revision = '{head}'\n"
        "branch_labels = None\n"
        "depends_on = None\n"
        "def upgrade():\n"
        "    op.create_table('half_done', sa.Column('id', sa.Integer, primary_key=True))\n"
        "    op.execute('ALTER TABLE no_such_table ADD COLUMN x int')\n"
        "def downgrade():\n"
        "    pass\n"
    )
    cfg = config(fresh_mariadb_url)
    cfg.set_main_option("script_location", str(scripts))
    with pytest.raises(PartialMigration) as failed:
        await asyncio.to_thread(command.upgrade, cfg, "head")
    assert failed.value.revision == head
    assert any("CREATE TABLE half_done" in s for s in failed.value.committed), failed.value.committed
    assert "not transactional" in str(failed.value)
    assert "half_done" in await seed(fresh_mariadb_url, 0)  # the table stayed, as reported


# SQLite cannot reflect expression indexes (the case-insensitive username index): Alembic says
# so and compares everything else.
@pytest.mark.filterwarnings("ignore:.*expression-based index:UserWarning")
@pytest.mark.filterwarnings("ignore:.*expression-based index:sqlalchemy.exc.SAWarning")
async def test_migrations_walk_and_match_the_models_on_sqlite(tmp_path: Path) -> None:
    await walk_migrations(f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}")


async def walk_migrations(fresh_url: str) -> None:
    cfg = config(fresh_url)
    walk = revisions()
    assert walk, "no revisions found"

    # One step at a time, with rows in the tables before each step. A step down must give back
    # exactly the indexes the step up found (SQLite's table copies lose expression indexes).
    indexes: list[set[str]] = [await index_names(fresh_url)]
    for step, revision in enumerate(walk):
        await asyncio.to_thread(command.upgrade, cfg, revision)
        await seed(fresh_url, step)
        indexes.append(await index_names(fresh_url))
    for step in range(len(walk), 0, -1):
        await asyncio.to_thread(command.downgrade, cfg, "-1")
        await seed(fresh_url, 100 + step)
        assert await index_names(fresh_url) == indexes[step - 1], (
            f"indexes after downgrading {walk[step - 1]}"
        )

    # Head, base and head again, with data in the tables in between.
    await asyncio.to_thread(command.upgrade, cfg, "head")
    counts = await seed(fresh_url, 200)
    assert counts.get("users", 0) >= 2
    await asyncio.to_thread(command.downgrade, cfg, "base")
    leftover = await seed(fresh_url, 300)
    assert set(leftover) <= {"alembic_version"}, f"base still has tables: {leftover}"
    await asyncio.to_thread(command.upgrade, cfg, "head")
    counts = await seed(fresh_url, 400)
    assert counts.get("users", 0) >= 2

    # Every index of the models exists, expression indexes included (which autogenerate cannot
    # compare on SQLite).
    dialect = create_async_engine(fresh_url).dialect.name
    expected = indexes_on(dialect)
    assert expected <= await index_names(fresh_url)

    # The models and the migrations agree (raises AutogenerateDiffsDetected on drift).
    await asyncio.to_thread(command.check, cfg)
