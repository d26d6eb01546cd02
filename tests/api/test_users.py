"""The identity endpoints over HTTP, on PostgreSQL: success and each error status."""

from __future__ import annotations

from sqlalchemy import text

USERS = "/api/v1/users"
ME = "/api/v1/users/me"


def _sign_up_body(name: str = "alice", **extra):
    return {"email": f"{name}@example.com", "username": name, "password": "password-123", **extra}


# --- sign-up ---------------------------------------------------------------------------------------


async def test_sign_up_returns_private_view(client) -> None:
    response = await client.post(USERS, json=_sign_up_body("Alice", email="Alice@Example.COM", full_name="A"))
    assert response.status_code == 201
    body = response.json()
    private_fields = {"id", "email", "username", "full_name", "is_active", "is_superuser", "profile"}
    assert set(body) == private_fields | {"created_at", "updated_at"}
    assert body["email"] == "alice@example.com" and body["username"] == "Alice"
    assert body["is_active"] is True and body["is_superuser"] is False and body["profile"] is None
    assert body["created_at"].endswith("+00:00")
    assert "password" not in response.text


async def test_sign_up_conflicts_name_the_field(client) -> None:
    await client.post(USERS, json=_sign_up_body("alice"))
    taken_email = await client.post(USERS, json=_sign_up_body("other", email="ALICE@example.com"))
    taken_name = await client.post(USERS, json=_sign_up_body("ALICE", email="x@example.com"))
    for response, field in ((taken_email, "email"), (taken_name, "username")):
        assert response.status_code == 409
        assert response.json()["type"] == "/problems/already-exists"
        assert response.json()["field"] == field
        assert field in response.json()["detail"]


async def test_sign_up_validation(client) -> None:
    cases = [
        _sign_up_body(email="not-an-email"),
        _sign_up_body(username="ab"),
        _sign_up_body(username="has space"),
        _sign_up_body(password="short"),
        _sign_up_body(password="x" * 129),
        _sign_up_body(is_superuser=True),
        {"email": "a@example.com"},
    ]
    for body in cases:
        response = await client.post(USERS, json=body)
        assert response.status_code == 422, body
        problem = response.json()
        assert problem["type"] == "/problems/validation-error" and problem["errors"]
        assert response.headers["content-type"] == "application/problem+json"


async def test_malformed_json_is_400(client) -> None:
    response = await client.post(USERS, content=b'{"email": ', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/bad-request"


# --- me ------------------------------------------------------------------------------------------------


async def test_read_me_is_one_statement(client, make_user, count_statements) -> None:
    user = await make_user("alice")
    with count_statements() as log:
        response = await client.get(ME, headers=user.auth)
    assert response.status_code == 200 and response.json()["email"] == "alice@example.com"
    assert log.count == 1, log.statements


async def test_patch_me(client, make_user) -> None:
    user = await make_user("alice")
    response = await client.patch(ME, json={"full_name": "Alice A", "username": "alice.a"}, headers=user.auth)
    assert response.status_code == 200
    assert response.json()["full_name"] == "Alice A" and response.json()["username"] == "alice.a"
    assert response.json()["updated_at"] > response.json()["created_at"]


async def test_patch_me_rejects_unknown_and_admin_fields(client, make_user) -> None:
    user = await make_user("alice")
    for body in ({"is_superuser": True}, {"is_active": False}, {"hacker": 1}, {"email": None}):
        response = await client.patch(ME, json=body, headers=user.auth)
        assert response.status_code == 422, body
    assert (await client.get(ME, headers=user.auth)).json()["is_superuser"] is False


async def test_patch_me_email_or_password_needs_current_password(client, make_user) -> None:
    user = await make_user("alice")
    for body in (
        {"email": "new@example.com"},
        {"password": "new-password-1"},
        {"password": "new-password-1", "current_password": "wrong-password"},
    ):
        response = await client.patch(ME, json=body, headers=user.auth)
        assert response.status_code == 403, body
    ok = await client.patch(
        ME, json={"email": "New@Example.com", "current_password": user.password}, headers=user.auth
    )
    assert ok.status_code == 200 and ok.json()["email"] == "new@example.com"
    ok = await client.patch(
        ME, json={"password": "new-password-1", "current_password": user.password}, headers=user.auth
    )
    assert ok.status_code == 200
    login = await client.post("/api/v1/auth/token", data={"username": "alice", "password": "new-password-1"})
    assert login.status_code == 200


async def test_patch_me_taken_username_is_409(client, make_user) -> None:
    user = await make_user("alice")
    await make_user("bob")
    response = await client.patch(ME, json={"username": "BOB"}, headers=user.auth)
    assert response.status_code == 409 and response.json()["field"] == "username"


async def test_put_profile_creates_and_replaces(client, make_user) -> None:
    user = await make_user("alice")
    response = await client.put(
        f"{ME}/profile",
        json={"bio": "Hello", "avatar_url": "https://img.example.com/a.png"},
        headers=user.auth,
    )
    assert response.status_code == 200
    assert response.json()["profile"] == {"bio": "Hello", "avatar_url": "https://img.example.com/a.png"}
    response = await client.put(f"{ME}/profile", json={"bio": "Bye"}, headers=user.auth)
    assert response.json()["profile"] == {"bio": "Bye", "avatar_url": None}
    public = await client.get(f"{USERS}/{user.id}")
    assert public.json()["profile"] == {"bio": "Bye", "avatar_url": None}


async def test_put_profile_validation(client, make_user) -> None:
    user = await make_user("alice")
    for body in (
        {"bio": "x" * 501},
        {"avatar_url": "ftp://x.io/a"},
        {"avatar_url": "not a url"},
        {"extra": 1},
    ):
        response = await client.put(f"{ME}/profile", json=body, headers=user.auth)
        assert response.status_code == 422, body


async def test_delete_me_soft_deletes(client, make_user, db) -> None:
    user = await make_user("alice")
    assert (await client.delete(ME, headers=user.auth)).status_code == 204
    async with db.connect() as conn:
        row = (
            await conn.execute(text("SELECT is_deleted, deleted_at FROM users WHERE id = :i"), {"i": user.id})
        ).one()
    assert row.is_deleted and row.deleted_at is not None
    assert (await client.get(f"{USERS}/{user.id}")).status_code == 404


# --- public view ----------------------------------------------------------------------------------


async def test_public_view_hides_private_fields(client, make_user) -> None:
    user = await make_user("alice")
    response = await client.get(f"{USERS}/{user.id}")
    assert response.status_code == 200
    assert set(response.json()) == {"id", "username", "full_name", "created_at", "profile"}


async def test_unknown_or_invalid_user_id(client) -> None:
    assert (await client.get(f"{USERS}/424242")).status_code == 404
    for bad in ("0", str(2**63)):
        assert (await client.get(f"{USERS}/{bad}")).status_code == 422, bad
    for not_an_id in ("-1", "abc"):  # the route only matches digits
        assert (await client.get(f"{USERS}/{not_an_id}")).status_code == 404, not_an_id


# --- superuser ------------------------------------------------------------------------------------


async def test_admin_routes_need_a_superuser(client, make_user) -> None:
    user = await make_user("alice")
    other = await make_user("bob")
    calls = [
        client.get(USERS, headers=user.auth),
        client.patch(f"{USERS}/{other.id}", json={"is_superuser": True}, headers=user.auth),
        client.delete(f"{USERS}/{other.id}", headers=user.auth),
        client.post(f"{USERS}/activate", json={"user_ids": [other.id]}, headers=user.auth),
    ]
    for call in calls:
        response = await call
        assert response.status_code == 403
        assert response.json()["type"] == "/problems/forbidden"
    assert (await client.get(USERS)).status_code == 401


async def test_list_users_filters_and_pages(client, make_user) -> None:
    admin = await make_user("root", superuser=True)
    for name in ("anna", "annabel", "bob"):
        await make_user(name)
    response = await client.get(USERS, params={"q": "ANN", "sort": "username"}, headers=admin.auth)
    body = response.json()
    assert response.status_code == 200
    assert [u["username"] for u in body["items"]] == ["anna", "annabel"]
    assert body["total"] == 2 and body["limit"] == 20 and body["offset"] == 0 and body["next_cursor"] is None
    assert "email" in body["items"][0]
    # offset pages also carry next_cursor
    page = (
        await client.get(USERS, params={"limit": 2, "offset": 1, "sort": "-username"}, headers=admin.auth)
    ).json()
    assert [u["username"] for u in page["items"]] == ["bob", "annabel"] and page["next_cursor"]
    # is_active filter
    bob_id = next(
        u["id"]
        for u in (await client.get(USERS, headers=admin.auth)).json()["items"]
        if u["username"] == "bob"
    )
    await client.patch(f"{USERS}/{bob_id}", json={"is_active": False}, headers=admin.auth)
    inactive = (await client.get(USERS, params={"is_active": "false"}, headers=admin.auth)).json()
    assert [u["username"] for u in inactive["items"]] == ["bob"]


async def test_list_users_literal_wildcards(client, make_user) -> None:
    admin = await make_user("root", superuser=True)
    await make_user("a_b")
    await make_user("axb")
    body = (await client.get(USERS, params={"q": "a_b"}, headers=admin.auth)).json()
    assert [u["username"] for u in body["items"]] == ["a_b"]
    assert (await client.get(USERS, params={"q": "%"}, headers=admin.auth)).json()["total"] == 0


async def test_list_users_bad_parameters(client, make_user) -> None:
    admin = await make_user("root", superuser=True)
    await make_user("alice")
    first = (await client.get(USERS, params={"limit": 1}, headers=admin.auth)).json()
    cases = {
        422: [{"sort": "password_hash"}, {"limit": 0}, {"limit": 101}, {"offset": -1}],
        400: [
            {"cursor": "garbage"},
            {"cursor": first["next_cursor"], "offset": 1},
            {"cursor": first["next_cursor"][:-2] + "xx"},
            {"cursor": first["next_cursor"], "sort": "email"},
        ],
    }
    for status, param_sets in cases.items():
        for params in param_sets:
            response = await client.get(USERS, params=params, headers=admin.auth)
            assert response.status_code == status, params
            assert response.headers["content-type"] == "application/problem+json"


async def test_walking_next_cursor_visits_every_user_once(client, make_user) -> None:
    admin = await make_user("root", superuser=True)
    for i in range(11):
        await make_user(f"walker{i:02d}")
    for sort in ("created_at", "-created_at", "email", "-username"):
        seen: list[int] = []
        params: dict[str, object] = {"limit": 3, "sort": sort}
        while True:
            page = (await client.get(USERS, params=params, headers=admin.auth)).json()
            seen += [u["id"] for u in page["items"]]
            assert page["total"] == 12
            if page["next_cursor"] is None:
                break
            params = {"limit": 3, "sort": sort, "cursor": page["next_cursor"]}
        assert len(seen) == len(set(seen)) == 12, sort


async def test_admin_patch_user(client, make_user) -> None:
    admin = await make_user("root", superuser=True)
    user = await make_user("alice")
    response = await client.patch(
        f"{USERS}/{user.id}", json={"is_superuser": True, "full_name": "Boss"}, headers=admin.auth
    )
    assert (
        response.status_code == 200
        and response.json()["is_superuser"]
        and response.json()["full_name"] == "Boss"
    )
    assert (await client.patch(f"{USERS}/999999", json={}, headers=admin.auth)).status_code == 404
    assert (
        await client.patch(f"{USERS}/{user.id}", json={"username": "ROOT"}, headers=admin.auth)
    ).status_code == 409
    assert (
        await client.patch(f"{USERS}/{user.id}", json={"is_active": None}, headers=admin.auth)
    ).status_code == 422


async def test_admin_soft_and_hard_delete(client, make_user, db) -> None:
    admin = await make_user("root", superuser=True)
    soft, hard = await make_user("alice"), await make_user("bob")
    await client.put(f"{ME}/profile", json={"bio": "x"}, headers=hard.auth)
    assert (await client.delete(f"{USERS}/{soft.id}", headers=admin.auth)).status_code == 204
    assert (await client.delete(f"{USERS}/{soft.id}", headers=admin.auth)).status_code == 404
    assert (
        await client.delete(f"{USERS}/{hard.id}", params={"hard": "true"}, headers=admin.auth)
    ).status_code == 204
    async with db.connect() as conn:
        users = (await conn.execute(text("SELECT id, is_deleted FROM users ORDER BY id"))).all()
        profiles = (await conn.execute(text("SELECT count(*) FROM profiles"))).scalar_one()
    assert [(r.id, r.is_deleted) for r in users] == [(admin.id, False), (soft.id, True)]
    assert profiles == 0
    # a soft-deleted user can still be hard-deleted by a superuser
    assert (
        await client.delete(f"{USERS}/{soft.id}", params={"hard": "true"}, headers=admin.auth)
    ).status_code == 204


async def test_bulk_activate_is_one_update(client, make_user, count_statements) -> None:
    admin = await make_user("root", superuser=True)
    users = [await make_user(f"sleeper{i}") for i in range(3)]
    for user in users[:2]:
        await client.patch(f"{USERS}/{user.id}", json={"is_active": False}, headers=admin.auth)
    ids = [u.id for u in users] + [424242]
    with count_statements() as log:
        response = await client.post(f"{USERS}/activate", json={"user_ids": ids}, headers=admin.auth)
    assert response.status_code == 200 and response.json() == {"updated": 2}
    assert sum(s.lstrip().upper().startswith("UPDATE") for s in log.statements) == 1
    too_many = await client.post(
        f"{USERS}/activate", json={"user_ids": list(range(1, 1002))}, headers=admin.auth
    )
    assert too_many.status_code == 422


async def test_user_stats(client, make_user) -> None:
    admin = await make_user("root", superuser=True)
    alice, bob = await make_user("alice"), await make_user("bob")
    await client.patch(f"{USERS}/{alice.id}", json={"is_active": False}, headers=admin.auth)
    await client.delete(ME, headers=bob.auth)
    response = await client.get("/api/v1/stats/users")
    assert response.status_code == 200
    assert response.json()["total_users"] == 2 and response.json()["active_users"] == 1


async def test_search_text_with_quotes_and_backslashes_is_data_not_sql(client, make_user) -> None:
    """``q`` is rendered into the statement (see ``queries.contains``): quotes must stay data."""
    admin = await make_user("root", superuser=True)
    await make_user("o.brien", full_name="Pat O'Brien \\ Sons")
    for q, expected in (("O'Brien \\", 1), ("' OR '1'='1", 0), ("\\", 1), ("'; DROP TABLE users; --", 0)):
        response = await client.get(USERS, params={"q": q}, headers=admin.auth)
        assert response.status_code == 200, q
        assert response.json()["total"] == expected, q
    assert (await client.get(USERS, headers=admin.auth)).json()["total"] == 2
