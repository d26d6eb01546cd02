"""Contract fuzzing: schemathesis generates requests from the app's own OpenAPI document (valid
and invalid ones) for every operation and checks each response against it, with every check
schemathesis has (``CHECKS``; none left out).

* The app runs in-process (ASGI) on the session's PostgreSQL database, with its own engine: the
  schemathesis transport drives it from its own event-loop thread.
* Every case is sent twice: as a superuser and as a plain user. Both are restored before each
  call (one upsert), so a fuzzed ``DELETE /users/me``, a deactivation or a demotion of one of
  them never leaks into the next case. Their usernames contain a space (a value the API
  refuses) and their emails are taken by them, so no fuzzed request can take either.
* Phases: explicit examples, coverage (boundary values and undeclared methods) and fuzzing for
  each operation, positive and negative data; then a stateful phase per actor (schemathesis'
  state machine chaining operations by the links it infers), restoring the actor before every
  step, so it never ends up seeing only 401s after deleting or deactivating its own principal.
* Bounded and repeatable: ``MAX_EXAMPLES`` per operation and phase, ``STATEFUL_EXAMPLES``
  scenarios of at most ``STATEFUL_STEPS`` steps, no deadline, derandomized.
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
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.checks import is_check_class, load_all_checks, not_a_server_error
from schemathesis.python import asgi as schemathesis_asgi
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ensure_resource_availability,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    object_level_authorization,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
    use_after_free,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from infrastructure.container import Container
from infrastructure.persistence.models import UserRow
from infrastructure.settings import Settings
from interfaces.http.app import create_app
from tests import conftest

MAX_EXAMPLES = int(os.environ.get("CONTRACT_MAX_EXAMPLES", "10"))
STATEFUL_EXAMPLES = int(os.environ.get("CONTRACT_STATEFUL_EXAMPLES", "10"))
STATEFUL_STEPS = 8
STATEFUL_ATTEMPTS = 3
# CI runs the same examples every time (a red build is a regression, never bad luck); explore
# new ones with CONTRACT_RANDOM=1 and more of them with CONTRACT_MAX_EXAMPLES=200.
RANDOM = os.environ.get("CONTRACT_RANDOM") == "1"


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
    lives in this fixture's own event-loop thread). Only a request other than GET can change an
    actor, so ``restore`` skips the upsert until one was sent (``sent``): a third of the calls."""

    def __init__(
        self, portal: BlockingPortal, engine: AsyncEngine, actors: list[Actor], pw_hash: str
    ) -> None:
        self.portal, self.engine, self.actors, self._hash = portal, engine, actors, pw_hash
        self._dirty = True

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
        if self._dirty:
            self.portal.call(self._restore)
            self._dirty = False

    def sent(self, method: str) -> None:
        """A request was sent (a case, or a check's own request for it)."""
        if method.upper() != "GET":
            self._dirty = True


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
        engine = create_async_engine(pg_url, pool_size=1, max_overflow=0)
        pw_hash = portal.call(container.core.hasher().hash, "contract-password")
        actors = [Actor(i, name, su, tokens.issue(i, 0)) for i, name, su in ACTORS]
        env = ContractEnv(portal, engine, actors, pw_hash)
        env.restore()
        try:
            yield env
        finally:
            portal.call(engine.dispose)


# Every check schemathesis 4 has (``test_every_schemathesis_check_runs`` fails when a new version
# brings one this list lacks), with schemathesis' own settings: none is left out or configured
# away. Three are skipped case by case, each for a reason ``validate`` gives. One runs but finds
# nothing to probe: object_level_authorization replays a token-protected GET that names an object
# by id as another identity of a WFC auth document; Bazaar has no such read (``/users/me`` names
# no id, ``/items/{id}`` and ``/users/{id}`` are public) and each case carries its actor's token.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
    use_after_free,
    ensure_resource_availability,
    ignored_auth,
    object_level_authorization,
]


def _problem_text(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):  # a list answer (GET /stats/teams, /stats/authors), never a problem
        return ""
    return " ".join([str(body.get("detail", "")), *(str(e.get("msg", "")) for e in body.get("errors", []))])


def refused_by_contract(case: schemathesis.Case, response: Any) -> bool:
    """Whether a schema-valid request got the refusal the API contract gives it (so
    positive_data_acceptance does not apply): each rule needs state or two values at once."""
    status, text = response.status_code, _problem_text(response)
    # A well-formed cursor the service did not sign for this list, or one with an offset.
    if status == 400 and (case.query or {}).get("cursor") is not None:
        return True
    # A well-formed ETag of another version than the current one.
    if status == 412 and any(name.lower() == "if-match" for name in case.headers or {}):
        return True
    # The new owner of a transfer must be an existing, active user.
    if status == 422 and "is not an existing, active user" in text:
        return True
    # An Idempotency-Key used before with another body (the fuzzer repeats keys).
    if status == 422 and "Idempotency-Key was used with a different request" in text:
        return True
    # The target of a money transfer must be an existing account (API.md: unknown target 422),
    # and differ from the source.
    if status == 422 and ("is not an existing account" in text or "must differ from" in text):
        return True
    # An order whose every line names an unknown, inactive or own item (API.md: 422, no order).
    if status == 422 and "Every line of the order was rejected" in text:
        return True
    # min_price greater than max_price, min_age greater than max_age.
    return status == 422 and (
        "must not be greater than max_price" in text or "must not be greater than max_age" in text
    )


ACTOR_IDS = frozenset(str(actor_id) for actor_id, _, _ in ACTORS)


def about_an_actor(case: schemathesis.Case) -> bool:
    """Whether the request names one of the actors in its path (``/users/900000001/items``)."""
    return any(str(value) in ACTOR_IDS for value in (case.path_parameters or {}).values())


TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})  # what a boolean query parameter reads as true


def hard_deleted_a_user(recorder: Any) -> bool:
    """Whether the scenario so far hard-deleted a user (``DELETE /users/{id}?hard=true``)."""
    for earlier in recorder.find_all_cases():
        answer = recorder.find_response(case_id=earlier.id)
        if (
            earlier.operation.label == "DELETE /api/v1/users/{user_id}"
            and str((earlier.query or {}).get("hard", "")).lower() in TRUE
            and answer is not None
            and 200 <= answer.status_code < 300
        ):
            return True
    return False


def validate(
    case: schemathesis.Case, response: Any, app: Any, actor: Actor, env: ContractEnv, recorder: Any = None
) -> None:
    """Runs ``CHECKS`` on one response, but three case by case:

    * positive_data_acceptance, on a refusal ``refused_by_contract`` names;
    * use_after_free, on a request about an actor: an actor that deleted itself is back at the
      next step (``restore``), which is the harness's doing, not the service's;
    * ensure_resource_availability, once a scenario hard-deleted a user: that deletes what the
      user owned (items created earlier in the scenario too), which the check cannot know.
    """
    checks = CHECKS
    if refused_by_contract(case, response):
        checks = [check for check in checks if check is not positive_data_acceptance]
    if recorder is not None and about_an_actor(case):
        checks = [check for check in checks if check is not use_after_free]
    if recorder is not None and response.status_code == 404 and hard_deleted_a_user(recorder):
        checks = [check for check in checks if check is not ensure_resource_availability]
    try:
        case.validate_response(
            response,
            checks=checks,
            headers=actor.auth,
            transport_kwargs={"app": app, "headers": actor.auth},
            recorder=recorder,
        )
    finally:
        env.sent(case.method)  # the checks may have sent it again (without the token, say)


HYPOTHESIS = {"deadline": None, "suppress_health_check": list(HealthCheck), "derandomize": not RANDOM}


# The schema is read at import from an app that never touches a database; the cases are sent to
# ``contract_app`` (``app=`` in every call), which serves the same document.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))
)


def test_every_schemathesis_check_runs() -> None:
    load_all_checks()
    registered = {check.__name__ for check in REGISTERED_CHECKS.get_all() if not is_check_class(check)}
    assert {check.__name__ for check in CHECKS} == registered


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, **HYPOTHESIS)
def test_operation_conforms(case: schemathesis.Case, contract_app: Any, contract_env: ContractEnv) -> None:
    for actor in contract_env.actors:
        contract_env.restore()
        response = case.call(app=contract_app, headers=actor.auth)
        validate(case, response, contract_app, actor, contract_env)


@pytest.mark.parametrize("actor_index", [0, 1], ids=["superuser", "user"])
def test_stateful_scenarios_conform(actor_index: int, contract_app: Any, contract_env: ContractEnv) -> None:
    """Scenarios of up to ``STATEFUL_STEPS`` calls chained by the links schemathesis infers (an id
    from a response feeds the next request), as one actor, restored before every step.

    What a step draws depends on what the database answered before (ids in responses), so
    Hypothesis may find that a choice sequence it saw earlier now draws differently and stop with
    ``Flaky``. Like schemathesis' own runner, that is no failure: the failures are the checks'
    (kept in ``failures`` and raised as they are), and the run resumes until ``STATEFUL_EXAMPLES``
    scenarios ran (at most ``STATEFUL_ATTEMPTS`` runs)."""
    actor = contract_env.actors[actor_index]
    seen: list[tuple[str, int]] = []
    failures: list[Exception] = []
    scenarios = 0

    class Scenarios(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            nonlocal scenarios
            scenarios += 1

        def before_call(self, case: schemathesis.Case) -> None:
            contract_env.restore()  # the actor may have deleted, deactivated or demoted itself

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"app": contract_app, "headers": actor.auth}

        def validate_response(
            self, response: Any, case: schemathesis.Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            seen.append((case.operation.label, response.status_code))
            try:
                validate(case, response, contract_app, actor, contract_env, self.recorder)
            except Exception as failure:
                failures.append(failure)
                raise

    for _ in range(STATEFUL_ATTEMPTS):
        try:
            Scenarios.run(
                settings=settings(
                    max_examples=STATEFUL_EXAMPLES - scenarios,
                    stateful_step_count=STATEFUL_STEPS,
                    phases=[Phase.generate],  # no shrinking: a replay meets another database
                    **HYPOTHESIS,
                )
            )
        except Flaky:
            if failures:
                raise failures[0] from None
        if scenarios >= STATEFUL_EXAMPLES:
            break
    assert scenarios >= STATEFUL_EXAMPLES // 2, scenarios
    # The actor's token worked at every step (only a wrong password is a 401), and calls succeeded.
    assert [call for call in seen if call[1] == 401 and call[0] != "POST /api/v1/auth/token"] == []
    assert sum(200 <= status < 300 for _, status in seen) >= len(seen) // 4, seen
