"""The service's Prometheus metrics, in the process-wide default registry.

With several worker processes (``bazaar serve --workers N``) the environment variable
``PROMETHEUS_MULTIPROC_DIR`` names a directory every worker writes its samples to (prometheus
multiprocess mode; it must be set before ``prometheus_client`` is imported, which ``bazaar
serve`` does); ``render`` then sums the workers' files, so any worker answers ``/metrics`` with
the totals. Without it the normal in-process registry is rendered.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess

MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
UNMATCHED_ROUTE = "<unmatched>"

HTTP_REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests answered, by method, route template and status code",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status code",
    ["method", "route", "status"],
)
DB_POOL_CHECKED_OUT = Gauge("db_pool_checked_out", "Database connections in use", multiprocess_mode="livesum")
DB_POOL_IDLE = Gauge("db_pool_idle", "Idle database connections in the pool", multiprocess_mode="livesum")
DB_SLOW_QUERIES = Counter("db_slow_queries_total", "SQL statements slower than SLOW_QUERY_MS")
LOGIN_FAILURES = Counter("login_failures_total", "Logins refused for a wrong login name or password")
DB_READ_FALLBACKS = Counter(
    "db_read_fallbacks_total", "Reads sent to the primary because the read replica refused a connection"
)
IDEMPOTENT_REPLAYS = Counter(
    "idempotent_replays_total", "Requests answered from a stored response of the same Idempotency-Key"
)


def multiproc_dir() -> str | None:
    return os.environ.get(MULTIPROC_DIR_ENV) or None


def observe_pool(pool: Any) -> None:
    """Sets the pool gauges from a SQLAlchemy pool (pools without counters read as zero)."""
    checked_out = getattr(pool, "checkedout", None)
    idle = getattr(pool, "checkedin", None)
    DB_POOL_CHECKED_OUT.set(checked_out() if callable(checked_out) else 0)
    DB_POOL_IDLE.set(idle() if callable(idle) else 0)


def render(directory: str | None = None) -> bytes:
    """The exposition text: summed over every worker's files in multiprocess mode."""
    directory = directory or multiproc_dir()
    if directory is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    _multiprocess.MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def mark_process_dead(pid: int) -> None:
    """Drops a finished worker's live gauges (multiprocess mode only)."""
    directory = multiproc_dir()
    if directory is not None:
        _multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]
