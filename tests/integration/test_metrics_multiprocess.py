"""Prometheus multiprocess mode: metrics of several worker processes are summed (spawns real
processes, so it lives outside the unit suite)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from infrastructure.observability import metrics

ROOT = Path(__file__).resolve().parents[2]


def value(text: str, name: str, **labels: str) -> float:
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


WORKER = textwrap.dedent(
    """
    import os, sys
    from infrastructure.observability import metrics
    requests = int(sys.argv[1])
    for _ in range(requests):
        metrics.HTTP_REQUESTS.labels("GET", "/api/v1/users/{user_id}", "200").inc()
        metrics.HTTP_DURATION.labels("GET", "/api/v1/users/{user_id}", "200").observe(0.01)
    metrics.LOGIN_FAILURES.inc()
    metrics.DB_SLOW_QUERIES.inc(2)
    metrics.DB_POOL_CHECKED_OUT.set(requests)
    metrics.DB_POOL_IDLE.set(1)
    print(os.getpid())
    """
)


def test_multiprocess_mode_sums_every_worker(tmp_path: Path) -> None:
    env = {**os.environ, metrics.MULTIPROC_DIR_ENV: str(tmp_path)}
    pids = []
    for requests in (3, 4):
        done = subprocess.run(
            [sys.executable, "-c", WORKER, str(requests)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        pids.append(int(done.stdout.strip()))

    text = metrics.render(str(tmp_path)).decode()
    route = {"method": "GET", "route": "/api/v1/users/{user_id}", "status": "200"}
    assert value(text, "http_requests_total", **route) == 7
    assert value(text, "http_request_duration_seconds_count", **route) == 7
    assert value(text, "login_failures_total") == 2
    assert value(text, "db_slow_queries_total") == 4
    assert value(text, "db_pool_checked_out") == 7
    assert value(text, "db_pool_idle") == 2

    # A worker that has stopped no longer counts in the live gauges; its counters stay.
    os.environ[metrics.MULTIPROC_DIR_ENV] = str(tmp_path)
    try:
        metrics.mark_process_dead(pids[0])
    finally:
        del os.environ[metrics.MULTIPROC_DIR_ENV]
    text = metrics.render(str(tmp_path)).decode()
    assert value(text, "db_pool_checked_out") == 4
    assert value(text, "http_requests_total", **route) == 7
