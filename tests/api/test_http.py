"""Cross-cutting HTTP behaviour: problem+json everywhere, request ids, body limit, health, and
a smoke call of every route so a missed dependency-injector wiring fails CI."""

from __future__ import annotations

import re

import httpx
from fastapi.routing import APIRoute

from infrastructure.persistence.database import create_engine
from interfaces.http.app import create_app
from tests.conftest import build_container, test_settings


async def test_request_id_is_echoed_or_generated(client) -> None:
    echoed = await client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    generated = await client.get("/health/live")
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
    assert generated.headers["x-request-id"] != (await client.get("/health/live")).headers["x-request-id"]
    problem = await client.get("/api/v1/users/me", headers={"X-Request-ID": "req-9"})
    assert problem.headers["x-request-id"] == "req-9"


async def test_unknown_route_and_method_are_problems(client) -> None:
    missing = await client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json() == {
        "type": "/problems/not-found", "title": "Not Found", "status": 404,
        "detail": "No such resource", "instance": "/api/v1/nothing-here",
    }  # fmt: skip
    wrong_method = await client.put("/api/v1/stats/users")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["type"] == "/problems/method-not-allowed"


async def test_body_over_limit_is_413_by_length_and_by_stream(client) -> None:
    big = b'{"email": "' + b"a" * (1024 * 1024) + b'"}'
    response = await client.post("/api/v1/users", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["type"] == "/problems/payload-too-large"

    async def chunks():
        for _ in range(20):
            yield b"x" * 65536

    streamed = await client.post(
        "/api/v1/users", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413


async def test_unexpected_error_is_a_bare_500(db) -> None:
    app = create_app(test_settings(str(db.url)), build_container(db))

    async def boom() -> None:
        raise RuntimeError("SELECT secret FROM internals")

    app.add_api_route("/boom", boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/boom", headers={"X-Request-ID": "r-500"})
    assert response.status_code == 500
    assert response.json()["type"] == "/problems/internal-error"
    assert "SELECT" not in response.text and "Traceback" not in response.text
    assert response.headers["x-request-id"] == "r-500"


async def test_health(client) -> None:
    assert (await client.get("/health/live")).json() == {"status": "ok"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ok"


async def test_ready_is_503_on_an_unmigrated_database(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/empty.db"
    engine = create_engine(test_settings(url))
    app = create_app(test_settings(url), build_container(engine))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        ready = await http.get("/health/ready")
        live = await http.get("/health/live")
    await engine.dispose()
    assert ready.status_code == 503 and ready.json()["reason"]
    assert live.status_code == 200


async def test_every_route_is_wired(app, client, make_user) -> None:
    """Calls every API route once: a dependency that cannot be resolved would answer 500."""
    admin = await make_user("root", superuser=True)
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        for method in route.methods:
            response = await client.request(method, path, headers=admin.auth, json={})
            assert response.status_code < 500, (method, route.path, response.text)
