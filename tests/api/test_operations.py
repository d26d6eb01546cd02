"""Operability over HTTP: request logs, metrics, slow statements, outage answers, security
headers, CORS, body and page-size limits, offline docs."""

from __future__ import annotations

import io
import json
import logging
import re
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.container import Container
from infrastructure.observability.logs import formatter
from infrastructure.persistence.database import create_engine
from interfaces.http.app import create_app
from tests import conftest

# --- helpers ------------------------------------------------------------------------------------


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The JSON log lines written while the test runs (root logger, INFO and up)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def request_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if line.get("event") == "request" and line.get("logger") == "bazaar.http"]


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def sample(scraped: dict[Any, float], name: str, **labels: str) -> float:
    return scraped.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
async def app_with(db: AsyncEngine) -> Callable[..., Any]:
    """An app on the test database with some settings changed."""

    def build(**settings: Any) -> Any:
        container = conftest.build_container(db, **settings)
        return create_app(container.settings(), container)

    return build


async def client_for(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def failing_use_case(error: Exception) -> Any:
    class Failing:
        async def __call__(self, *args: Any, **kwargs: Any) -> Any:
            raise error

    return providers.Object(Failing())


# --- request logs ------------------------------------------------------------------------------


async def test_one_line_per_request_with_route_user_and_statement_count(client, make_user, log_lines) -> None:
    user = await make_user("alice")
    response = await client.get(f"/api/v1/users/{user.id}", headers={"X-Request-ID": "req-123"})
    assert response.status_code == 200
    me = await client.get("/api/v1/users/me", headers=user.auth)
    assert me.status_code == 200

    lines = request_lines(log_lines())
    public, private = lines[-2], lines[-1]
    assert public["request_id"] == "req-123"
    assert public["method"] == "GET" and public["status"] == 200
    assert public["route"] == "/api/v1/users/{user_id}" and public["path"] == f"/api/v1/users/{user.id}"
    assert public["user_id"] is None and public["sql_statements"] == 1
    assert isinstance(public["duration_ms"], float)
    assert private["route"] == "/api/v1/users/me" and private["user_id"] == user.id
    assert private["sql_statements"] == 1
    assert private["request_id"] == me.headers["X-Request-ID"]


async def test_an_unexpected_error_is_a_bare_500_logged_once_with_its_trace(app, log_lines) -> None:
    secret_sql = "SELECT password_hash FROM users"
    app.state.container.identity.user_stats.override(failing_use_case(RuntimeError(secret_sql)))
    async with await client_for(app) as client:
        response = await client.get("/api/v1/stats/users")

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/internal-error"
    assert secret_sql not in response.text and "Traceback" not in response.text
    assert response.headers["X-Content-Type-Options"] == "nosniff" and response.headers["X-Request-ID"]
    traced = [line for line in log_lines() if "exception" in line]
    assert len(traced) == 1
    (line,) = traced
    assert line["event"] == "request" and line["status"] == 500 and line["level"] == "error"
    assert "RuntimeError" in line["exception"] and secret_sql in line["exception"]


async def test_a_database_error_that_is_not_an_outage_stays_a_500(app) -> None:
    error = sa_exc.DBAPIError("SELECT 1", {}, ValueError("syntax"))  # type: ignore[arg-type]
    app.state.container.identity.user_stats.override(failing_use_case(error))
    async with await client_for(app) as client:
        response = await client.get("/api/v1/stats/users")
    assert response.status_code == 500
    assert response.json()["type"] == "/problems/internal-error"


# --- metrics -------------------------------------------------------------------------------------


async def test_metrics_count_requests_by_route_template_method_and_status(client, make_user) -> None:
    user = await make_user("bob")
    before = await scrape(client)
    for _ in range(3):
        assert (await client.get(f"/api/v1/users/{user.id}")).status_code == 200
    assert (await client.get("/api/v1/users/999999")).status_code == 404
    assert (await client.get("/no/such/route")).status_code == 404
    after = await scrape(client)

    route = "/api/v1/users/{user_id}"
    ok = {"method": "GET", "route": route, "status": "200"}
    assert sample(after, "http_requests_total", **ok) - sample(before, "http_requests_total", **ok) == 3
    missing = {"method": "GET", "route": route, "status": "404"}
    assert (
        sample(after, "http_requests_total", **missing) - sample(before, "http_requests_total", **missing)
        == 1
    )
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert (
        sample(after, "http_requests_total", **unmatched) - sample(before, "http_requests_total", **unmatched)
        == 1
    )
    assert (
        sample(after, "http_request_duration_seconds_count", **ok)
        - sample(before, "http_request_duration_seconds_count", **ok)
        == 3
    )
    raw_paths = [key for key in after if dict(key[1]).get("route", "").endswith(str(user.id))]
    assert raw_paths == [], "raw paths must never become labels"
    for name in (
        "db_pool_checked_out",
        "db_pool_idle",
        "db_slow_queries_total",
        "login_failures_total",
        "idempotent_replays_total",
    ):
        assert any(key[0] == name for key in after), name
    assert sample(after, "db_pool_checked_out") == 0
    assert sample(after, "db_pool_idle") >= 1


async def test_failed_logins_are_counted(client, make_user) -> None:
    user = await make_user("carol")
    before = sample(await scrape(client), "login_failures_total")
    bad = await client.post(
        "/api/v1/auth/token", data={"username": user.username, "password": "wrong-password"}
    )
    assert bad.status_code == 401
    unknown = await client.post(
        "/api/v1/auth/token", data={"username": "nobody", "password": "wrong-password"}
    )
    assert unknown.status_code == 401
    good = await client.post(
        "/api/v1/auth/token", data={"username": user.username, "password": user.password}
    )
    assert good.status_code == 200
    assert sample(await scrape(client), "login_failures_total") - before == 2


async def test_metrics_and_docs_stay_out_of_the_openapi_document(client) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/metrics" not in paths and "/docs" not in paths and "/redoc" not in paths


# --- slow statements -------------------------------------------------------------------------------


async def test_slow_statements_are_logged_without_parameters_and_counted(pg_url, client, log_lines) -> None:
    engine = create_engine(conftest.test_settings(pg_url, slow_query_ms=30))
    try:
        before = sample(await scrape(client), "db_slow_queries_total")
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            await conn.execute(
                text("SELECT pg_sleep(:seconds), CAST(:secret AS text)"),
                {"seconds": 0.06, "secret": "hunter2"},
            )
        after = sample(await scrape(client), "db_slow_queries_total")
    finally:
        await engine.dispose()

    assert after - before == 1
    (slow,) = [line for line in log_lines() if line.get("event") == "slow statement"]
    assert slow["level"] == "warning" and slow["duration_ms"] >= 60
    assert "pg_sleep" in slow["sql"] and "hunter2" not in json.dumps(slow)


# --- the database is unreachable -------------------------------------------------------------------


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_an_unreachable_database_answers_503_with_retry_after() -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{_dead_port()}/nothing"
    settings = conftest.test_settings(url, db_pool_timeout=2)
    container = Container(settings=settings)
    app = create_app(settings, container)
    try:
        async with await client_for(app) as client:
            for method, path, body in (
                ("GET", "/api/v1/users/1", None),
                ("GET", "/api/v1/stats/users", None),
                (
                    "POST",
                    "/api/v1/users",
                    {"email": "d@example.com", "username": "dora", "password": "password-1"},
                ),
            ):
                response = await client.request(method, path, json=body)
                assert response.status_code == 503, (path, response.text)
                assert response.headers["content-type"] == "application/problem+json"
                assert response.json()["type"] == "/problems/service-unavailable"
                assert int(response.headers["Retry-After"]) >= 1
            token = await client.post("/api/v1/auth/token", data={"username": "x", "password": "y"})
            assert token.status_code == 503
            ready = await client.get("/health/ready")
            assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
            assert (await client.get("/health/live")).status_code == 200
    finally:
        await container.core.engine().dispose()


# --- security headers, CORS, limits ---------------------------------------------------------------------


SECURITY = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "x-frame-options": "DENY"}


async def test_security_headers_on_every_kind_of_response(app_with) -> None:
    app = app_with(max_body_bytes=100)
    async with await client_for(app) as client:
        responses = [
            await client.get("/health/live"),
            await client.get("/api/v1/users/me"),  # 401
            await client.get("/nowhere"),  # 404
            await client.get("/api/v1/users/0"),  # 422
            await client.post(
                "/api/v1/users", content=b"x" * 200, headers={"content-type": "application/json"}
            ),
            await client.get("/docs"),
            await client.get("/static/docs/swagger-ui.css"),
        ]
    for response in responses:
        for name, expected in SECURITY.items():
            assert response.headers.get(name) == expected, (response.request.url, name)
        assert "server" not in response.headers
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert responses[1].headers["content-security-policy"].startswith("default-src 'none'")


async def test_cors_answers_only_configured_origins(app_with, client) -> None:
    allowed, other = "https://shop.example", "https://evil.example"
    app = app_with(cors_origins=[allowed])
    async with await client_for(app) as cors_client:
        simple = await cors_client.get("/health/live", headers={"Origin": allowed})
        assert simple.headers["access-control-allow-origin"] == allowed
        refused = await cors_client.get("/health/live", headers={"Origin": other})
        assert "access-control-allow-origin" not in refused.headers

        preflight = {
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization",
        }
        ok = await cors_client.options("/api/v1/users/me", headers={"Origin": allowed, **preflight})
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == allowed
        assert "PATCH" in ok.headers["access-control-allow-methods"]
        bad = await cors_client.options("/api/v1/users/me", headers={"Origin": other, **preflight})
        assert bad.status_code == 400 and "access-control-allow-origin" not in bad.headers

    # Without CORS_ORIGINS no origin is allowed at all.
    default = await client.get("/health/live", headers={"Origin": allowed})
    assert "access-control-allow-origin" not in default.headers


async def test_body_over_the_limit_is_413_by_length_and_while_streaming(app_with) -> None:
    app = app_with(max_body_bytes=1000)
    body = json.dumps({"email": "big@example.com", "username": "big", "password": "x" * 2000}).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 256):
            yield body[start : start + 256]

    async with await client_for(app) as client:
        declared = await client.post(
            "/api/v1/users", content=body, headers={"content-type": "application/json"}
        )
        streamed = await client.post(
            "/api/v1/users", content=chunks(), headers={"content-type": "application/json"}
        )
        small = await client.post(
            "/api/v1/users", json={"email": "s@example.com", "username": "small", "password": "p" * 10}
        )
    assert "content-length" not in streamed.request.headers
    for response in (declared, streamed):
        assert response.status_code == 413, response.text
        assert response.json()["type"] == "/problems/payload-too-large"
    assert small.status_code == 201


async def test_every_limit_parameter_is_capped_at_100(client, make_user) -> None:
    spec = (await client.get("/openapi.json")).json()
    capped = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "limit" and parameter["in"] == "query":
                    schema = parameter["schema"]
                    assert (schema.get("minimum"), schema.get("maximum")) == (1, 100), (method, path)
                    capped.append(path)
    assert "/api/v1/users" in capped

    admin = await make_user("root", superuser=True)
    for limit, status in (("0", 422), ("101", 422), ("-1", 422), ("100", 200), ("1", 200)):
        response = await client.get(f"/api/v1/users?limit={limit}", headers=admin.auth)
        assert response.status_code == status, limit
    assert (await client.get("/api/v1/users", headers=admin.auth)).json()["limit"] == 20


# --- offline docs ----------------------------------------------------------------------------------------


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("src"):
            self.urls.append(str(found["src"]))
        if tag == "link" and found.get("href"):
            self.urls.append(str(found["href"]))


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_every_asset_from_the_service(client, page) -> None:
    response = await client.get(page)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    parser = _Assets()
    parser.feed(response.text)
    assert len(parser.urls) >= 2, parser.urls
    for url in parser.urls:
        assert url.startswith("/") and not url.startswith("//"), url
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 1000, url
    # No other address outside the service either (CDNs, fonts, the validator badge).
    assert not re.search(r"https?://(?!127\.0\.0\.1|localhost)", response.text), response.text
    assert (await client.get("/openapi.json")).status_code == 200


async def test_openapi_declares_every_problem_status_as_problem_json(client) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert "HTTPValidationError" not in json.dumps(spec)
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            expected = set()
            if path.startswith("/api/"):
                expected.add("503")
            if "requestBody" in operation:
                expected.update({"400", "413", "422"})
            if operation.get("parameters"):
                expected.add("422")
            if operation.get("security"):
                expected.update({"401", "403"})
            assert expected <= set(responses), (method, path, sorted(responses))
            for code, response in responses.items():
                if int(code) >= 400 and path.startswith("/api/"):
                    assert list(response["content"]) == ["application/problem+json"], (method, path, code)
