"""The login throttle under a burst, against a real ``bazaar serve --workers 2`` on PostgreSQL:
whatever the concurrency, and across worker processes, at most five guesses per account and
client are evaluated in a window; the rest are 429 with ``Retry-After``, a correct password
among them included."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.serving import serve

TOKEN = "/api/v1/auth/token"


async def burst(
    base_url: str, wrong: int, counted: Callable[[], Awaitable[int]] | None = None
) -> list[httpx.Response]:
    """``wrong`` concurrent wrong guesses; with ``counted``, also the right password, sent once
    five guesses have been counted (so it is inside the burst, past the limit)."""
    limits = httpx.Limits(max_connections=wrong + 1, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as http:

        async def guess(password: str) -> httpx.Response:
            return await http.post(TOKEN, data={"username": "victim", "password": password})

        tasks = [asyncio.create_task(guess(f"wrong-guess-{n}")) for n in range(wrong)]
        if counted is not None:
            while await counted() < 5:
                await asyncio.sleep(0.005)
            tasks.append(asyncio.create_task(guess("right-password-1")))
        return list(await asyncio.gather(*tasks))


def metric(text: str, name: str) -> float:
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name + " "))


@pytest.mark.parametrize(("wrong", "with_right_password"), [(29, True), (100, False)])
def test_a_burst_of_guesses_evaluates_at_most_five(
    db: AsyncEngine, pg_url: str, tmp_path: Path, wrong: int, with_right_password: bool
) -> None:
    """Sync on purpose: ``serve`` migrates with Alembic's own event loop."""
    env = {"DATABASE_URL": pg_url, "ENVIRONMENT": "development"}
    with serve(tmp_path, "--workers", "2", env=env) as server:
        body = {"email": "victim@example.com", "username": "victim", "password": "right-password-1"}
        assert httpx.post(f"{server.base_url}/api/v1/users", json=body).status_code == 201

        async def counted() -> int:
            conn = await asyncpg.connect(pg_url.replace("+asyncpg", ""))
            try:
                found = await conn.fetchval("SELECT max(attempts) FROM login_throttles WHERE key LIKE '%|%'")
            finally:
                await conn.close()
            return int(found or 0)

        responses = asyncio.run(burst(server.base_url, wrong, counted if with_right_password else None))
        statuses = [r.status_code for r in responses]
        assert statuses.count(401) == 5, statuses  # five wrong guesses evaluated, no more
        assert statuses.count(429) == len(statuses) - 5, statuses
        limited = [r for r in responses if r.status_code == 429]
        assert all(1 <= int(r.headers["retry-after"]) <= 900 for r in limited)
        if with_right_password:
            assert responses[-1].status_code == 429  # the right password, inside the burst
        metrics = httpx.get(f"{server.base_url}/metrics").text
        assert metric(metrics, "login_failures_total") == 5  # summed over both workers
