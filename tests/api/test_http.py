"""Cross-cutting HTTP behaviour: problem+json everywhere, request ids, body limit, health, and
a smoke call of every route so a missed dependency-injector wiring fails CI."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi.routing import APIRoute, iter_route_contexts

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
        "type": "/problems/not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "No such resource",
        "instance": "/api/v1/nothing-here",
    }
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


# One request per operation that passes validation, so the endpoint itself runs (and with it
# every ``Provide[...]`` it injects). ``{user}``/``{other}`` are user ids, ``{item}`` an item id.
WIRING_REQUESTS: dict[str, dict[str, Any]] = {
    "health-live": {},
    "health-ready": {},
    "metrics-read": {},
    "auth-issue-token": {"data": {"username": "{username}", "password": "password-123"}},
    "users-sign-up": {
        "json": {"email": "{username}-2@example.com", "username": "{username}-2", "password": "password-123"}
    },
    "users-list": {"params": {"posted_since": "2000-01-01T00:00:00Z"}},
    "users-read-me": {},
    "users-update-me": {"json": {"full_name": "Wired"}},
    "users-replace-profile": {"json": {"bio": "wired"}},
    "users-delete-me": {},
    "users-activate": {"json": {"user_ids": ["{other}"]}},
    "users-read": {},
    "users-update": {"json": {"full_name": "Wired"}},
    "users-delete": {},
    "users-list-items": {},
    "stats-users": {},
    "items-create": {"json": {"title": "Wired", "price": "1.00"}},
    "items-list": {},
    "items-create-batch": {"json": {"items": [{"title": "Batch", "price": "1.00"}]}},
    "items-read": {},
    "items-replace": {
        "json": {"title": "T", "description": None, "price": "2", "is_active": True, "tags": []}
    },
    "items-patch": {"json": {"price": "3"}},
    "items-delete": {},
    "items-transfer": {"json": {"new_owner_id": "{other}"}},
    "tags-list": {},
    "stats-items": {},
    "accounts-create": {"json": {"name": "Wired"}},
    "accounts-list": {},
    "accounts-read": {},
    "accounts-deposit": {"json": {"amount": "5.00"}},
    "accounts-list-entries": {},
    "orders-create": {"json": {"lines": [{"item_id": "{other_item}", "quantity": 1}]}},
    "orders-list": {},
    "orders-read": {},
    "orders-pay": {"json": {"account_id": "{account}"}},
    "orders-change-status": {"json": {"status": "cancelled"}},
    "transfers-create": {
        "json": {"from_account_id": "{account}", "to_account_id": "{other_account}", "amount": "1"}
    },
    "teams-create": {"json": {"name": "{username} team"}},
    "teams-list": {},
    "teams-read": {},
    "teams-patch": {"json": {"headquarters": "Wired"}},
    "teams-delete": {},
    "teams-set-member": {"json": {"is_training": True}},
    "teams-remove-member": {},
    "heroes-create": {"json": {"name": "{username} hero", "secret_name": "Wired", "age": 30}},
    "heroes-list": {},
    "heroes-read": {},
    "heroes-patch": {"json": {"age": 31}},
    "heroes-delete": {},
    "stats-teams": {},
    "posts-create": {"json": {"title": "Wired", "content": "Body"}},
    "posts-list": {"params": {"since": "2000-01-01", "q": "Mine"}},
    "posts-read": {},
    "posts-patch": {"json": {"title": "Patched"}},
    "posts-delete": {},
    "users-list-posts": {},
    "stats-authors": {"params": {"min_posts": 0}},
}


def _fill(value: Any, names: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in names:
        return names[value[1:-1]]
    return value.format(**names) if isinstance(value, str) else value


async def test_every_route_is_wired_and_its_endpoint_runs(app, client, make_user) -> None:
    """Calls every operation once, each with a fresh superuser (a route that deletes its caller
    cannot spoil the next), with a request that passes validation, and checks that the endpoint
    itself ran (not only auth or validation in front of it): an injection that cannot be
    resolved would raise there. A new operation needs a row in ``WIRING_REQUESTS``."""
    contexts = [c for c in iter_route_contexts(app.routes) if isinstance(c.original_route, APIRoute)]
    operations = {c.original_route.name for c in contexts if not c.path.startswith(("/docs", "/redoc"))}
    assert operations == WIRING_REQUESTS.keys()
    ran: list[str] = []
    for context in contexts:
        route = context.original_route
        if route.name not in WIRING_REQUESTS:
            continue
        dependant = context._effective_route.dependant  # what the request handler calls
        endpoint = dependant.call

        async def recorded(*args: Any, _name: str = route.name, _call: Any = endpoint, **kwargs: Any) -> Any:
            ran.append(_name)
            return await _call(*args, **kwargs)

        dependant.call = recorded
    for context in contexts:
        route = context.original_route
        if route.name not in WIRING_REQUESTS:
            continue
        principal = await make_user(superuser=True)
        other = await make_user()
        item = (
            await client.post("/api/v1/items", json={"title": "Mine", "price": "1"}, headers=principal.auth)
        ).json()
        other_item = (
            await client.post("/api/v1/items", json={"title": "Theirs", "price": "1"}, headers=other.auth)
        ).json()
        order = (
            await client.post(
                "/api/v1/orders",
                json={"lines": [{"item_id": other_item["id"], "quantity": 1}]},
                headers=principal.auth,
            )
        ).json()
        account = (await client.post("/api/v1/accounts", json={}, headers=principal.auth)).json()["id"]
        other_account = (await client.post("/api/v1/accounts", json={}, headers=other.auth)).json()["id"]
        post = (
            await client.post("/api/v1/posts", json={"title": "Mine", "content": "c"}, headers=principal.auth)
        ).json()
        funded = await client.post(
            f"/api/v1/accounts/{account}/deposits", json={"amount": "10"}, headers=principal.auth
        )
        assert funded.status_code == 201, funded.text
        names = {
            "username": principal.username,
            "user": principal.id,
            "other": other.id,
            "item": item["id"],
            "account": account,
            "other_account": other_account,
            "other_item": other_item["id"],
        }
        team = (
            await client.post(
                "/api/v1/teams", json={"name": f"{principal.username} T"}, headers=principal.auth
            )
        ).json()
        hero = {"name": f"{principal.username} H", "secret_name": "S"}
        hero_id = (await client.post("/api/v1/heroes", json=hero, headers=principal.auth)).json()["id"]
        joined = await client.put(
            f"/api/v1/teams/{team['id']}/members/{hero_id}",
            json={"is_training": False},
            headers=principal.auth,
        )
        assert joined.status_code == 200, joined.text
        ids = {
            "user_id": principal.id,
            "item_id": item["id"],
            "account_id": account,
            "team_id": team["id"],
            "hero_id": hero_id,
            "order_id": order["id"],
            "post_id": post["id"],
        }
        path = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m, ids=ids: str(ids[m.group(1)]), context.path)
        request = _fill(WIRING_REQUESTS[route.name], names)
        (method,) = route.methods
        before = len(ran)
        response = await client.request(method, path, headers=principal.auth, **request)
        assert response.status_code < 400, (route.name, response.status_code, response.text)
        assert ran[before:].count(route.name) == 1, (route.name, ran[before:])
