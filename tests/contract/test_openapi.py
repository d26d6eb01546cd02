"""Contract fuzzing: schemathesis generates requests from the app's own OpenAPI document (valid
and invalid ones) for every operation and checks each response against it.

* The app runs in-process (ASGI) on the session's PostgreSQL database, with its own engine: the
  schemathesis transport drives it from its own event-loop thread.
* Every case is sent twice: as a superuser and as a plain user. Both are restored before each
  call (one upsert), so a fuzzed ``DELETE /users/me``, a deactivation or a demotion of one of
  them never leaks into the next case. Their usernames contain a space and their emails use the
  reserved ``.invalid`` domain: values the API refuses, so no fuzzed request can take them.
* Bounded and repeatable: ``MAX_EXAMPLES`` (20) per operation, no deadline, derandomized; the
  whole suite takes about half a minute on two cores.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi as schemathesis_asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import pool
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from infrastructure.container import Container
from infrastructure.persistence.models import UserRow
from infrastructure.settings import Settings
from interfaces.http.app import create_app
from tests import conftest

MAX_EXAMPLES = int(os.environ.get("CONTRACT_MAX_EXAMPLES", "20"))
# CI runs the same examples every time (a red build is a regression, never bad luck); explore
# new ones with CONTRACT_RANDOM=1 and more of them with CONTRACT_MAX_EXAMPLES=200.
RANDOM = os.environ.get("CONTRACT_RANDOM") == "1"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@dataclass(frozen=True)
class Actor:
    id: int
    username: str
    is_superuser: bool
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


ACTORS = ((900_000_001, "contract super", True), (900_000_002, "contract user", False))


class ContractEnv:
    """The actors and the means to restore them between calls (an upsert on an engine that
    lives in this fixture's own event-loop thread)."""

    def __init__(
        self, portal: BlockingPortal, engine: AsyncEngine, actors: list[Actor], pw_hash: str
    ) -> None:
        self.portal, self.engine, self.actors, self._hash = portal, engine, actors, pw_hash

    async def _restore(self) -> None:
        now = datetime.now(UTC)
        rows = [
            {
                "id": a.id,
                "email": f"{a.username.replace(' ', '.')}@contract.invalid",
                "username": a.username,
                "full_name": None,
                "password_hash": self._hash,
                "is_active": True,
                "is_superuser": a.is_superuser,
                "is_deleted": False,
                "deleted_at": None,
                "token_version": 0,  # a fuzzed password change or DELETE /users/me revoked it
                "created_at": now,
                "updated_at": now,
            }
            for a in self.actors
        ]
        stmt = insert(UserRow).values(rows)
        stmt = stmt.on_conflict_do_update(
            index_elements=[UserRow.id],
            set_={c: stmt.excluded[c] for c in rows[0] if c not in ("id", "created_at")},
        )
        async with self.engine.begin() as conn:
            await conn.execute(stmt)

    def restore(self) -> None:
        self.portal.call(self._restore)


@pytest.fixture(scope="module")
async def contract_app(pg_url: str, pg_engine: AsyncEngine) -> AsyncIterator[Any]:
    await conftest.empty_tables(pg_engine)
    settings = conftest.test_settings(pg_url)
    container = Container(settings=settings)
    container.core.hasher.override(conftest.FAST_HASHER)
    yield create_app(settings, container)
    # schemathesis started the app's lifespan in its event-loop thread: end it (the engine is
    # disposed there) before the session drops the database.
    schemathesis_asgi.shutdown_lifespans()


@pytest.fixture(scope="module")
def contract_env(contract_app: Any, pg_url: str) -> Iterator[ContractEnv]:
    container = contract_app.state.container
    tokens = container.core.tokens()
    with start_blocking_portal() as portal:
        engine = create_async_engine(pg_url, poolclass=pool.NullPool)
        pw_hash = portal.call(container.core.hasher().hash, "contract-password")
        actors = [Actor(i, name, su, tokens.issue(i, 0)) for i, name, su in ACTORS]
        env = ContractEnv(portal, engine, actors, pw_hash)
        env.restore()
        try:
            yield env
        finally:
            portal.call(engine.dispose)


# The schema is read at import from an app that never touches a database; the cases are sent to
# ``contract_app`` (``case.call(app=...)``), which serves the same document.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))
)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=not RANDOM,
)
def test_operation_conforms(case: schemathesis.Case, contract_app: Any, contract_env: ContractEnv) -> None:
    for actor in contract_env.actors:
        contract_env.restore()
        response = case.call(app=contract_app, headers=actor.auth)
        case.validate_response(response, checks=CHECKS)
