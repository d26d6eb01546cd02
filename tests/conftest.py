"""Shared fixtures.

* One event loop for the whole session (pyproject sets both loop scopes to "session"), so the
  session-scoped engines and every test share it.
* PostgreSQL: a database with a random name is created for the session, migrated with Alembic
  (not ``create_all``) and dropped at the end. Unreachable → skipped locally, failed under CI=true.
* MariaDB: likewise (``TEST_MARIADB_URL``; unreachable → skipped locally, failed under CI=true).
  ``BAZAAR_TEST_DB=mariadb`` makes ``db`` (the engine behind the API tests) MariaDB's.
* PgBouncer: ``BAZAAR_TEST_DB=pgbouncer`` runs ``db`` through PgBouncer in transaction mode
  (``TEST_PGBOUNCER_URL``, in front of ``TEST_PGBOUNCER_PRIMARY_URL``, where the database is
  created and migrated directly); ``scripts/cluster.sh up`` starts both (issue 19).
* SQLite: a migrated temporary file for the session.
* Isolation: every test that touches a database gets empty tables (``clean`` below): tests use
  real commits and real concurrent connections, exactly as the service does.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import asyncmy
import asyncpg
import httpx
import pytest
from dependency_injector import providers
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.container import Container
from infrastructure.migrations import upgrade_async
from infrastructure.persistence.database import create_engine
from infrastructure.persistence.models import Base
from infrastructure.persistence.native import statement_listeners
from infrastructure.security import Argon2PasswordHasher
from infrastructure.settings import Settings
from interfaces.http.app import create_app

PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MARIADB_ADMIN_URL = os.environ.get("TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/")
# The engine behind ``db`` (the API suite and the integration tests that take ``db``).
TEST_DB = os.environ.get("BAZAAR_TEST_DB", "postgres").lower()
# scripts/cluster.sh's defaults (CLUSTER_PORT_BASE=55400): PgBouncer +64, the primary +32.
PGBOUNCER_URL = os.environ.get("TEST_PGBOUNCER_URL", "postgresql://postgres@127.0.0.1:55464")
PGBOUNCER_PRIMARY_URL = os.environ.get("TEST_PGBOUNCER_PRIMARY_URL", "postgresql://postgres@127.0.0.1:55432")
IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_SECRET = "test-secret-key-not-for-production"
# Real Argon2id, with parameters small enough that a test signs a user up in a millisecond.
FAST_HASHER = providers.Singleton(Argon2PasswordHasher, time_cost=1, memory_cost=1024, parallelism=1)


def _pg_reachable(url: str = PG_ADMIN_URL) -> bool:
    parts = urlparse(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=2).close()
    except OSError:
        return False
    return True


def _mariadb_reachable() -> bool:
    parts = urlparse(MARIADB_ADMIN_URL)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 3306), timeout=2).close()
    except OSError:
        return False
    return True


def mariadb_url_of(database: str) -> str:
    parts = urlparse(MARIADB_ADMIN_URL)
    return f"mysql+asyncmy://{parts.netloc}/{database}"


async def mariadb_admin(statement: str) -> None:
    """Runs one statement on the MariaDB test server (creating or dropping a test database)."""
    parts = urlparse(MARIADB_ADMIN_URL)
    conn = await asyncmy.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
        connect_timeout=5,
    )
    try:
        async with conn.cursor() as cursor:
            await cursor.execute(statement)
    finally:
        conn.close()


@pytest.fixture(scope="session")
async def mariadb_url() -> AsyncIterator[str]:
    if not _mariadb_reachable():
        message = f"MariaDB not reachable at {MARIADB_ADMIN_URL}"
        if IN_CI:
            pytest.fail(message + " (CI=true: an unreachable MariaDB is a failure)")
        pytest.skip(message)
    name = f"bazaar_test_{uuid.uuid4().hex[:10]}"
    # The server's default collation (case-insensitive) on purpose: the tables must not rely on it.
    await mariadb_admin(f"CREATE DATABASE `{name}`")
    try:
        url = mariadb_url_of(name)
        await upgrade_async(url)
        yield url
    finally:
        await mariadb_admin(f"DROP DATABASE IF EXISTS `{name}`")


def _asyncpg_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


@asynccontextmanager
async def pg_database(admin_url: str) -> AsyncIterator[str]:
    """A migrated database with a random name on the server of ``admin_url``, dropped after."""
    if not _pg_reachable(admin_url):
        message = f"PostgreSQL not reachable at {admin_url}"
        if IN_CI:
            pytest.fail(message + " (CI=true: an unreachable PostgreSQL is a failure)")
        pytest.skip(message)
    name = f"bazaar_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = _asyncpg_url(admin_url.rstrip("/").rsplit("/", 1)[0] + f"/{name}")
    try:
        await upgrade_async(url)
        yield url
    finally:
        admin = await asyncpg.connect(admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(scope="session")
async def pg_url() -> AsyncIterator[str]:
    async with pg_database(PG_ADMIN_URL) as url:
        yield url


@pytest.fixture(scope="session")
async def pgbouncer_engine() -> AsyncIterator[AsyncEngine]:
    """A database on the cluster's primary, reached through PgBouncer in transaction mode with
    ``DB_PGBOUNCER=true``: the engine every API test uses under ``BAZAAR_TEST_DB=pgbouncer``."""
    async with pg_database(PGBOUNCER_PRIMARY_URL + "/postgres") as direct:
        bouncer = urlparse(PGBOUNCER_URL)
        url = direct.replace(urlparse(direct).netloc, bouncer.netloc, 1)
        engine = create_engine(test_settings(url, db_pgbouncer=True))
        yield engine
        await engine.dispose()


@pytest.fixture(scope="session")
async def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("sqlite") / "bazaar.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade_async(url)
    return url


def test_settings(database_url: str, **overrides: Any) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=TEST_SECRET,
        db_pool_size=5,
        db_max_overflow=5,
        **overrides,
    )


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@pytest.fixture(scope="session")
async def pg_engine(pg_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(test_settings(pg_url))
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def mariadb_engine(mariadb_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(test_settings(mariadb_url))
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def sqlite_engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(test_settings(sqlite_url))
    yield engine
    await engine.dispose()


TABLES = [t.name for t in reversed(Base.metadata.sorted_tables)]


async def empty_tables(engine: AsyncEngine) -> None:
    """Empty every table of the schema, and drop any table a test created beside it (a stand-in
    for another context's referring table)."""
    mysql = engine.dialect.name in ("mysql", "mariadb")
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            listed = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        elif mysql:
            listed = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
        else:
            listed = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        for (name,) in (await conn.execute(text(listed))).all():
            if name not in TABLES and name != "alembic_version":
                await conn.execute(text(f"DROP TABLE {name}"))
        if engine.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
        else:
            # Children first (TABLES is in reverse dependency order); MariaDB keeps its
            # auto-increment counters, so ids differ from run to run as they may in production.
            for table in TABLES:
                await conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
async def pg_db(pg_engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """The PostgreSQL engine, with empty tables for this test."""
    await empty_tables(pg_engine)
    yield pg_engine


@pytest.fixture
async def mariadb_db(mariadb_engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """The MariaDB engine, with empty tables for this test."""
    await empty_tables(mariadb_engine)
    yield mariadb_engine


@pytest.fixture
async def pgbouncer_db(pgbouncer_engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    await empty_tables(pgbouncer_engine)
    yield pgbouncer_engine


@pytest.fixture
def db(request: pytest.FixtureRequest) -> AsyncEngine:
    """The server engine with empty tables for this test: PostgreSQL, or MariaDB under
    ``BAZAAR_TEST_DB=mariadb``, or PostgreSQL through PgBouncer under ``BAZAAR_TEST_DB=pgbouncer``
    (the API suite's second and third passes)."""
    fixture = {"mariadb": "mariadb_db", "pgbouncer": "pgbouncer_db"}.get(TEST_DB, "pg_db")
    engine: AsyncEngine = request.getfixturevalue(fixture)
    return engine


@pytest.fixture(params=["postgres", "mariadb"])
def server_db(request: pytest.FixtureRequest) -> AsyncEngine:
    """Each database server in turn, with empty tables: for tests of concurrency (locks,
    deadlocks, races) that the single-writer SQLite and the fakes cannot show."""
    engine: AsyncEngine = request.getfixturevalue("pg_db" if request.param == "postgres" else "mariadb_db")
    return engine


@pytest.fixture
async def sqlite_db(sqlite_engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    await empty_tables(sqlite_engine)
    yield sqlite_engine


def build_container(engine: AsyncEngine, **settings: Any) -> Container:
    """A container on the test database with the fast hasher: the providers tests override."""
    if engine.url.port == urlparse(PGBOUNCER_URL).port:
        settings.setdefault("db_pgbouncer", True)  # the engine runs through PgBouncer: say so
    container = Container(
        settings=test_settings(engine.url.render_as_string(hide_password=False), **settings)
    )
    container.core.engine.override(providers.Object(engine))
    container.core.hasher.override(FAST_HASHER)
    return container


@pytest.fixture
async def app(db: AsyncEngine) -> Any:
    container = build_container(db)
    return create_app(container.settings(), container)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


# --- users over HTTP ------------------------------------------------------------------------------


@dataclass
class ApiUser:
    id: int
    email: str
    username: str
    password: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_user(client: httpx.AsyncClient, app: Any) -> Callable[..., Any]:
    """Signs a user up over HTTP (optionally promoting them) and logs them in."""
    counter = iter(range(1, 10_000))

    async def make(
        username: str | None = None, *, superuser: bool = False, password: str = "password-123", **extra: Any
    ) -> ApiUser:
        username = username or f"user{next(counter)}"
        email = f"{username.lower()}@example.com"
        body = {"email": email, "username": username, "password": password, **extra}
        response = await client.post("/api/v1/users", json=body)
        assert response.status_code == 201, response.text
        user_id = response.json()["id"]
        if superuser:
            engine = app.state.container.core.engine()
            async with engine.begin() as conn:
                await conn.execute(
                    text("UPDATE users SET is_superuser = true WHERE id = :id"), {"id": user_id}
                )
        token = await client.post("/api/v1/auth/token", data={"username": username, "password": password})
        assert token.status_code == 200, token.text
        return ApiUser(user_id, email, username, password, token.json()["access_token"])

    return make


# --- counting SQL statements --------------------------------------------------------------------


@dataclass
class StatementLog:
    statements: list[str]

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_statements(db: AsyncEngine) -> Callable[[], Any]:
    """``with count_statements() as log: ...`` records every SQL statement the engine sends
    (savepoint bookkeeping aside), for asserting constant query counts per request."""

    @contextmanager
    def counting() -> Iterator[StatementLog]:
        log = StatementLog([])

        def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT")):
                log.statements.append(statement)

        def native(statement: str, _args: Any) -> None:  # reads on PostgreSQL's native path
            log.statements.append(statement)

        event.listen(db.sync_engine, "before_cursor_execute", before)
        natives = statement_listeners(db)
        natives.append(native)
        try:
            yield log
        finally:
            event.remove(db.sync_engine, "before_cursor_execute", before)
            natives.remove(native)

    return counting
