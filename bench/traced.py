"""Bazaar with a stopwatch per phase, for the transfer benchmark's profile (never in production).

A sampling profiler cannot say where a transfer's time goes: SQLAlchemy runs each statement in a
greenlet whose stack starts at ``Session.execute``, so the samples lose the code that asked for
it, and time spent waiting for the database (a lock, a round trip) is not on any stack. This
wraps the production app instead: the request's wall time from the ASGI entry to the last byte,
each statement from ``before_cursor_execute`` to ``after_cursor_execute`` (the round trip, lock
waits included), classified by its text, and each commit (the dialect's ``do_commit``). What is
left is Python: HTTP, validation, auth's JWT check, the use case, serialisation, logging.

    DATABASE_URL=... uvicorn --factory bench.traced:app   (bench/transfers.py starts it)

``GET /__bench/phases`` answers the totals per route since the last call and resets them.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event

from interfaces.http.app import app_from_env

Phases = dict[str, float]
_phases: ContextVar[Phases | None] = ContextVar("bench_phases", default=None)
# The first rule whose marker is in the statement names its phase.
RULES = (
    ("idempotency", "idempotency_keys"),
    ("locks", "FOR UPDATE"),
    ("auth", "FROM users"),
    ("writes", "INSERT INTO"),
    ("writes", "UPDATE "),
)


def phase_of(statement: str) -> str:
    return next((name for name, marker in RULES if marker in statement), "other SQL")


def app() -> Any:
    inner = app_from_env()
    engine = inner.state.container.core.engine().sync_engine
    totals: dict[str, Phases] = defaultdict(lambda: defaultdict(float))

    def add(phase: str, seconds: float) -> None:
        phases = _phases.get()
        if phases is not None:
            phases[phase] += seconds

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, _cursor: Any, _statement: str, *_args: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        add(phase_of(statement), time.perf_counter() - conn.info["bench_started"].pop())

    do_commit = engine.dialect.do_commit

    def timed_commit(dbapi_connection: Any) -> None:
        started = time.perf_counter()
        try:
            do_commit(dbapi_connection)
        finally:
            add("commit", time.perf_counter() - started)

    engine.dialect.do_commit = timed_commit  # type: ignore[method-assign]

    async def traced(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await inner(scope, receive, send)
            return
        if scope["path"] == "/__bench/phases":
            body = json.dumps({route: dict(p) for route, p in totals.items()}).encode()
            totals.clear()
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        phases: Phases = defaultdict(float)
        token = _phases.set(phases)
        started = time.perf_counter()
        try:
            await inner(scope, receive, send)
        finally:
            _phases.reset(token)
            route = f"{scope['method']} {scope['path'].rstrip('0123456789')}"
            total = totals[route]
            total["requests"] += 1
            total["wall"] += time.perf_counter() - started
            for phase, seconds in phases.items():
                total[phase] += seconds

    return traced
