"""HTTP semantics across every route: bounded validation problems, no-store on private answers,
HEAD wherever GET is, no redirects built from client headers, 405 with a complete ``Allow``, and
an OpenAPI document that says exactly what the server accepts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import Response

from infrastructure.observability import metrics
from interfaces.http.app import create_app
from tests.conftest import build_container, test_settings

API = "/api/v1"


def _schema(app: Any, name: str) -> dict[str, Any]:
    schema: dict[str, Any] = app.openapi()["components"]["schemas"][name]
    return schema


def _allows_null(prop: dict[str, Any]) -> bool:
    return prop.get("type") == "null" or any(_allows_null(branch) for branch in prop.get("anyOf", ()))


# --- validation problems are bounded -----------------------------------------------------------


async def test_validation_problem_lists_the_first_50_errors_and_counts_them_all(client, app) -> None:
    body = {f"k{i}": 1 for i in range(60_000)}
    response = await client.post(f"{API}/users", json=body)
    assert response.status_code == 422
    problem = response.json()
    assert len(problem["errors"]) == 50
    assert problem["error_count"] == 60_003  # 60,000 unknown keys and 3 missing fields
    assert len(response.content) < 20_000
    small = (await client.post(f"{API}/users", json={"email": "a@example.com"})).json()
    assert small["error_count"] == len(small["errors"]) == 2
    schema = _schema(app, "ValidationProblemOut")
    assert schema["properties"]["errors"]["maxItems"] == 50
    assert schema["properties"]["error_count"]["type"] == "integer"


async def test_malformed_json_problem_counts_its_errors(client) -> None:
    response = await client.post(
        f"{API}/users", content=b'{"email": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error_count"] == len(response.json()["errors"]) == 1


# --- Cache-Control: no-store -------------------------------------------------------------------


async def test_answers_to_authorized_requests_are_not_stored(client, make_user) -> None:
    user = await make_user()
    assert (await client.get(f"{API}/users/me", headers=user.auth)).headers["cache-control"] == "no-store"
    # errors too, and a token that is refused still made the request private
    refused = await client.get(f"{API}/users/me", headers={"Authorization": "Bearer nonsense"})
    assert refused.status_code == 401 and refused.headers["cache-control"] == "no-store"
    missing = await client.get(f"{API}/items/424242", headers=user.auth)
    assert missing.status_code == 404 and missing.headers["cache-control"] == "no-store"
    # without credentials nothing is said
    assert "cache-control" not in (await client.get(f"{API}/items")).headers
    assert "cache-control" not in (await client.get("/health/live")).headers


async def test_token_endpoint_is_never_stored(client, make_user) -> None:
    user = await make_user()
    issued = await client.post(
        f"{API}/auth/token", data={"username": user.username, "password": user.password}
    )
    assert issued.status_code == 200 and issued.headers["cache-control"] == "no-store"
    wrong = await client.post(f"{API}/auth/token", data={"username": user.username, "password": "wrong-pass"})
    assert wrong.status_code == 401 and wrong.headers["cache-control"] == "no-store"
    invalid = await client.post(f"{API}/auth/token", data={})
    assert invalid.status_code == 422 and invalid.headers["cache-control"] == "no-store"


async def test_a_route_cache_control_is_kept(db) -> None:
    app = create_app(test_settings(str(db.url)), build_container(db))

    async def cached() -> Response:
        return Response("x", headers={"Cache-Control": "private, max-age=60"})

    app.add_api_route("/cached", cached)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        response = await http.get("/cached", headers={"Authorization": "Bearer x"})
    assert response.headers.get_list("cache-control") == ["private, max-age=60"]


# --- HEAD --------------------------------------------------------------------------------------


def _without_volatile(headers: httpx.Headers) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k not in ("x-request-id", "date")}


async def test_head_answers_like_get_without_a_body(client, make_user) -> None:
    user = await make_user()
    item = (await client.post(f"{API}/items", json={"title": "Lamp", "price": "1"}, headers=user.auth)).json()
    for path, headers in (
        ("/health/live", {}),
        ("/health/ready", {}),
        (f"{API}/items", {}),
        (f"{API}/items/{item['id']}", {}),
        (f"{API}/users/me", user.auth),
        (f"{API}/users/me", {}),  # 401
        (f"{API}/items/424242", {}),  # 404
        (f"{API}/tags", {}),
        ("/metrics", {}),
        ("/docs", {}),
    ):
        get = await client.get(path, headers=headers)
        head = await client.head(path, headers=headers)
        assert head.status_code == get.status_code, path
        assert head.content == b"", path
        if path != "/metrics":  # its body (and length) changes with every request
            assert _without_volatile(head.headers) == _without_volatile(get.headers), path
    item_head = await client.head(f"{API}/items/{item['id']}")
    assert item_head.headers["etag"] and int(item_head.headers["content-length"]) > 0


async def test_head_where_no_get_is_served_is_405(client) -> None:
    response = await client.head(f"{API}/auth/token")
    assert response.status_code == 405 and response.content == b""
    assert response.headers["allow"] == "POST"


async def test_head_is_logged_and_counted_as_head(client) -> None:
    counter = metrics.HTTP_REQUESTS.labels("HEAD", "/health/live", "200")
    before = counter._value.get()
    await client.head("/health/live")
    assert counter._value.get() == before + 1


async def test_openapi_lists_no_head_operations(app) -> None:
    document = app.openapi()
    assert not [path for path, operations in document["paths"].items() if "head" in operations]


# --- no redirects built from client headers ---------------------------------------------------


async def test_trailing_slash_is_a_404_not_a_redirect(client) -> None:
    for path in (f"{API}/items/", f"{API}/users/me/", "/health/live/"):
        response = await client.get(path, headers={"Host": "evil.example"})
        assert response.status_code == 404, path
        assert "location" not in response.headers
        assert response.json()["type"] == "/problems/not-found"


# --- 405 with a complete Allow ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", f"{API}/items/batch", "POST"),
        ("PUT", f"{API}/items/batch", "POST"),
        ("GET", f"{API}/users/activate", "POST"),
        ("DELETE", f"{API}/users/activate", "POST"),
        ("OPTIONS", f"{API}/items", "GET, HEAD, POST"),
        ("PUT", f"{API}/items", "GET, HEAD, POST"),
        ("POST", f"{API}/items/7", "GET, HEAD, PUT, PATCH, DELETE"),
        ("OPTIONS", f"{API}/users/me", "GET, HEAD, PATCH, DELETE"),
        ("PUT", f"{API}/stats/users", "GET, HEAD"),
        ("POST", "/health/live", "GET, HEAD"),
        ("POST", "/static/docs/swagger-ui.css", "GET, HEAD"),
    ],
)
async def test_undeclared_method_is_405_listing_every_method_of_the_path(
    client, method: str, path: str, allow: str
) -> None:
    response = await client.request(method, path)
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == allow
    assert response.json()["type"] == "/problems/method-not-allowed"


async def test_ids_are_numeric_path_segments_checked_for_range(client) -> None:
    for bad in ("0", str(2**63)):
        assert (await client.get(f"{API}/items/{bad}")).status_code == 422, bad
        assert (await client.get(f"{API}/users/{bad}")).status_code == 422, bad
        assert (await client.get(f"{API}/users/{bad}/items")).status_code == 422, bad
    for not_an_id in ("abc", "-1", "1.5"):
        assert (await client.get(f"{API}/items/{not_an_id}")).status_code == 404, not_an_id
        assert (await client.get(f"{API}/users/{not_an_id}")).status_code == 404, not_an_id


async def test_openapi_paths_keep_plain_parameters(app) -> None:
    paths = app.openapi()["paths"]
    assert f"{API}/items/{{item_id}}" in paths and f"{API}/users/{{user_id}}/items" in paths
    assert not [path for path in paths if ":" in path]


# --- the OpenAPI document says exactly what is accepted ----------------------------------------


async def test_a_single_valued_query_parameter_given_twice_is_422(client) -> None:
    for query in ("q=a&q=b", "limit=1&limit=2", "is_active=true&is_active=false"):
        response = await client.get(f"{API}/items?{query}")
        assert response.status_code == 422, query
        name = query.split("=")[0]
        assert response.json()["errors"] == [
            {"loc": ["query", name], "msg": "must be given at most once", "type": "repeated_parameter"}
        ]
    assert (await client.get(f"{API}/items?tag=a&tag=b")).status_code == 200  # an array parameter
    assert (await client.get(f"{API}/items?unknown=1&unknown=2")).status_code == 200  # not declared


@pytest.mark.parametrize(
    ("model", "not_null", "nullable"),
    [
        ("UserPatchIn", ("email", "username", "password"), ("full_name",)),
        ("AdminUserPatchIn", ("email", "username", "password", "is_active", "is_superuser"), ("full_name",)),
        ("ItemPatchIn", ("title", "price", "is_active", "tags"), ("description",)),
    ],
)
async def test_patch_schemas_show_null_only_where_it_is_accepted(
    app, client, make_user, model: str, not_null: tuple[str, ...], nullable: tuple[str, ...]
) -> None:
    properties = _schema(app, model)["properties"]
    for name in not_null:
        assert not _allows_null(properties[name]) and "default" not in properties[name], (model, name)
    for name in nullable:
        assert _allows_null(properties[name]), (model, name)
    user = await make_user()
    item = (await client.post(f"{API}/items", json={"title": "Lamp", "price": "1"}, headers=user.auth)).json()
    path = {"UserPatchIn": f"{API}/users/me", "AdminUserPatchIn": f"{API}/users/{user.id}"}
    target = path.get(model, f"{API}/items/{item['id']}")
    admin = await make_user(superuser=True)
    for name in not_null:
        refused = await client.patch(
            target, json={name: None}, headers=admin.auth if "Admin" in model else user.auth
        )
        assert refused.status_code == 422, (model, name, refused.text)


async def test_avatar_url_is_stored_as_sent_and_limited_as_sent(client, make_user) -> None:
    user = await make_user()
    prefix = "https://bücher.example/"  # the IDNA host and path normalise to 7 more characters
    url = prefix + "a" * (500 - len(prefix))
    for sent in (url, "http://Example.COM"):
        response = await client.put(f"{API}/users/me/profile", json={"avatar_url": sent}, headers=user.auth)
        assert response.status_code == 200, response.text
        assert response.json()["profile"]["avatar_url"] == sent
    too_long = await client.put(f"{API}/users/me/profile", json={"avatar_url": url + "a"}, headers=user.auth)
    assert too_long.status_code == 422
    for not_http in ("ftp://example.com/a", "example.com", "https://"):
        refused = await client.put(
            f"{API}/users/me/profile", json={"avatar_url": not_http}, headers=user.auth
        )
        assert refused.status_code == 422, not_http


@pytest.mark.parametrize("email", ["user@x.test", "user@contract.invalid", "user@host.localhost"])
async def test_emails_on_special_use_domains_are_accepted(client, email: str) -> None:
    body = {"email": email, "username": email.split("@")[1].replace(".", "-"), "password": "password-123"}
    response = await client.post(f"{API}/users", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["email"] == email


async def test_cursor_parameters_declare_their_shape_and_their_400(app, client) -> None:
    for path in (f"{API}/items", f"{API}/users", f"{API}/tags", f"{API}/users/{{user_id}}/items"):
        (cursor,) = [p for p in app.openapi()["paths"][path]["get"]["parameters"] if p["name"] == "cursor"]
        (string,) = [s for s in cursor["schema"]["anyOf"] if s["type"] == "string"]
        assert string["pattern"] == "^[A-Za-z0-9_-]+$", path
        assert "400 `bad-request`" in cursor["description"], path
    assert (await client.get(f"{API}/items", params={"cursor": "abc+/="})).status_code == 422
    forged = await client.get(f"{API}/items", params={"cursor": "abcdefghijklmnopqrstuvwxyz"})
    assert forged.status_code == 400 and forged.json()["type"] == "/problems/bad-request"
