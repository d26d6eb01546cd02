"""A server that refuses the connection (unknown database, unknown role, a database not
accepting connections) is an outage like a closed port: every route answers 503 with
``Retry-After``, never 500, and ``/health/ready`` is 503 with the reason."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from infrastructure.container import Container
from interfaces.http.app import create_app
from tests import conftest
from tests.conftest import test_settings


@pytest.fixture
async def closed_database(pg_url: str) -> AsyncIterator[str]:
    name = f"bazaar_closed_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(conftest.PG_ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        yield pg_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.close()


async def answers(url: str) -> list[httpx.Response]:
    settings = test_settings(url)
    app = create_app(settings, Container(settings=settings))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        calls = [
            http.get("/api/v1/items"),
            http.get("/api/v1/items/1"),
            http.get("/api/v1/users/me", headers={"Authorization": "Bearer x.y.z"}),
            http.post("/api/v1/auth/token", data={"username": "ann", "password": "password-1"}),
            http.post(
                "/api/v1/users", json={"email": "a@example.com", "username": "ann", "password": "pw-123456"}
            ),
            http.get("/health/ready"),
        ]
        return [await call for call in calls]


@pytest.mark.parametrize("refusal", ["unknown database", "unknown role", "not accepting connections"])
async def test_refused_connections_are_503(pg_url: str, closed_database: str, refusal: str) -> None:
    base = pg_url.rsplit("/", 1)[0]
    url = {
        "unknown database": f"{base}/bazaar_no_such_database",
        "unknown role": pg_url.replace("postgres@", "bazaar_no_such_role@", 1),
        "not accepting connections": closed_database,
    }[refusal]
    *api, ready = await answers(url)
    for response in api:
        if response.request.url.path == "/api/v1/users/me":
            assert response.status_code == 401  # a forged token never reaches the database
            continue
        assert response.status_code == 503, (response.request.url, response.text)
        assert response.headers["retry-after"] == "5"
        assert response.json()["type"] == "/problems/service-unavailable"
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable" and ready.json()["reason"]
