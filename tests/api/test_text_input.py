"""Text a database cannot store (NUL, a lone surrogate: ``"\\udc00"`` is a legal JSON escape) is
refused at validation as a 422 naming the field, on every text parameter and body field; a
batch reports such an element as failed and keeps the others; a login is a plain 401. Never a
503 (taken for an outage) or a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.test_items import API, assert_problem, create

BAD = ["a\x00b", "a\udc00b"]


@pytest.mark.parametrize("bad", BAD, ids=["nul", "surrogate"])
async def test_text_parameters_and_fields_are_422(client, make_user, bad: str) -> None:
    admin = await make_user("root", superuser=True)
    alice = await make_user("alice")
    item = await create(client, alice)
    calls: list[tuple[str, str, dict[str, Any], str]] = [
        (
            "POST",
            "/users",
            {
                "json": {
                    "email": "n@example.com",
                    "username": "newbie",
                    "password": "pw-12345678",
                    "full_name": bad,
                }
            },
            "full_name",
        ),
        ("PATCH", "/users/me", {"json": {"full_name": bad}}, "full_name"),
        ("PUT", "/users/me/profile", {"json": {"bio": bad}}, "bio"),
        ("POST", "/items", {"json": {"title": bad, "price": "1"}}, "title"),
        ("POST", "/items", {"json": {"title": "T", "price": "1", "description": bad}}, "description"),
        ("POST", "/items", {"json": {"title": "T", "price": "1", "tags": [bad]}}, "tags"),
        ("PATCH", f"/items/{item['id']}", {"json": {"title": bad}}, "title"),
        (
            "PUT",
            f"/items/{item['id']}",
            {"json": {"title": "T", "description": bad, "price": "1", "is_active": True, "tags": []}},
            "description",
        ),
    ]
    if "\x00" in bad:  # a query string cannot carry a lone surrogate (it decodes to U+FFFD)
        calls += [
            ("GET", "/users", {"params": {"q": bad}}, "q"),
            ("GET", "/items", {"params": {"q": bad}}, "q"),
        ]
    for method, path, kwargs, field in calls:
        user = admin if path == "/users" and method == "GET" else alice
        if "json" in kwargs:  # json.dumps escapes a lone surrogate as "\\udc00", as a client would
            kwargs = {"content": json.dumps(kwargs["json"]), "headers": {"content-type": "application/json"}}
        headers = {**user.auth, **kwargs.pop("headers", {})}
        response = await client.request(method, API + path, headers=headers, **kwargs)
        body = assert_problem(response, 422, "validation-error")
        assert any(field in error["loc"] for error in body["errors"]), (method, path, body)


async def test_a_bad_element_fails_alone_in_a_batch(client, make_user) -> None:
    alice = await make_user("alice")
    elements = [
        {"title": "Good", "price": "1"},
        {"title": "Bad\udc00", "price": "1"},
        {"title": "Worse", "price": "1", "description": "x\x00y"},
        {"title": "Fine", "price": "2", "tags": ["home"]},
    ]
    response = await client.post(
        f"{API}/items/batch",
        content=json.dumps({"items": elements}),
        headers={**alice.auth, "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["failed"]) == (2, 2)
    assert [r["status"] for r in body["results"]] == ["created", "failed", "failed", "created"]
    assert body["results"][1]["error"]["errors"][0]["loc"] == ["body", "items", 1, "title"]
    assert body["results"][2]["error"]["errors"][0]["loc"] == ["body", "items", 2, "description"]


@pytest.mark.parametrize("login", ["x" * 256, "ann\x00", "\x00"], ids=["long", "nul", "only-nul"])
async def test_malformed_login_names_are_the_same_401(client, make_user, login: str) -> None:
    """(A form cannot carry a lone surrogate; the use case's unit tests cover that case.)"""
    await make_user("ann")
    response = await client.post(f"{API}/auth/token", data={"username": login, "password": "password-123"})
    assert_problem(response, 401, "unauthorized")
    bad_password = await client.post(f"{API}/auth/token", data={"username": "ann", "password": "pw\x00"})
    assert_problem(bad_password, 401, "unauthorized")
