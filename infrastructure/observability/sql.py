"""SQL instrumentation: statements counted per request, slow statements logged and counted.

The request middleware opens a ``track_request()`` scope (a context variable holding the
request's counters); the engine's ``before_cursor_execute`` listener adds one per statement to
whatever request is current. SQLAlchemy's async layer runs the listener in a greenlet that shares
the calling task's context, so the count reaches the right request, never another one.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from infrastructure.observability.logs import get_logger
from infrastructure.observability.metrics import DB_SLOW_QUERIES

log = get_logger("bazaar.sql")

_START_KEY = "bazaar_statement_started"
MAX_LOGGED_SQL = 4000
_SPACES = re.compile(r"\s+")


@dataclass(slots=True)
class RequestStats:
    sql_statements: int = 0


_current: ContextVar[RequestStats | None] = ContextVar("bazaar_request_stats", default=None)


@contextmanager
def track_request() -> Iterator[RequestStats]:
    stats = RequestStats()
    token = _current.set(stats)
    try:
        yield stats
    finally:
        _current.reset(token)


def count_statement() -> None:
    """One more statement for the current request (if any)."""
    stats = _current.get()
    if stats is not None:
        stats.sql_statements += 1


def report_if_slow(statement: str, elapsed: float, threshold: float) -> None:
    """A WARNING with the duration and the SQL text (placeholders, never the parameter values)
    and ``db_slow_queries_total`` when a statement took ``threshold`` seconds or more."""
    if elapsed >= threshold:
        DB_SLOW_QUERIES.inc()
        log.warning(
            "slow statement",
            duration_ms=round(elapsed * 1000, 1),
            sql=_SPACES.sub(" ", statement).strip()[:MAX_LOGGED_SQL],
        )


def instrument_engine(engine: Engine, slow_query_ms: float) -> None:
    """Counts statements for the current request and reports those slower than
    ``slow_query_ms``: a WARNING with the duration and the SQL text (placeholders, never the
    parameter values) and ``db_slow_queries_total``."""
    threshold = slow_query_ms / 1000

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, _cursor: Any, _statement: str, *_args: Any) -> None:
        count_statement()
        conn.info.setdefault(_START_KEY, []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        started = conn.info.get(_START_KEY)
        if not started:
            return
        report_if_slow(statement, time.perf_counter() - started.pop(), threshold)

    @event.listens_for(engine, "handle_error")
    def _failed(context: Any) -> None:
        conn = context.connection
        with suppress(Exception):  # an invalidated connection has no info left to tidy
            started = conn.info.get(_START_KEY) if conn is not None else None
            if started:
                started.pop()
