"""POST /auth/token and bearer-token handling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from tests.conftest import TEST_SECRET

TOKEN_URL = "/api/v1/auth/token"


async def test_login_with_username_or_email(client, make_user) -> None:
    user = await make_user("alice")
    for login in ("alice", "ALICE", "Alice@Example.com"):
        response = await client.post(TOKEN_URL, data={"username": login, "password": user.password})
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer" and body["expires_in"] == 3600
        me = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
        assert me.json()["id"] == user.id


async def test_wrong_password_and_unknown_user_get_the_same_401(client, make_user) -> None:
    await make_user("alice")
    wrong = await client.post(TOKEN_URL, data={"username": "alice", "password": "wrong-password"})
    unknown = await client.post(TOKEN_URL, data={"username": "nobody", "password": "wrong-password"})
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.headers["content-type"] == "application/problem+json"
    assert wrong.json() == unknown.json()
    assert wrong.json()["type"] == "/problems/unauthorized"


async def test_missing_form_fields_are_422(client) -> None:
    response = await client.post(TOKEN_URL, data={"username": "alice"})
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/validation-error"


async def test_sixth_failed_login_is_429_with_retry_after(client, make_user) -> None:
    user = await make_user("alice")
    for _ in range(5):
        response = await client.post(TOKEN_URL, data={"username": "alice", "password": "wrong-password"})
        assert response.status_code == 401
    response = await client.post(TOKEN_URL, data={"username": "alice", "password": user.password})
    assert response.status_code == 429
    assert response.json()["type"] == "/problems/rate-limited"
    assert 1 <= int(response.headers["retry-after"]) <= 901
    # the throttle is per login name: another user is unaffected
    other = await make_user("bob")
    assert (
        await client.post(TOKEN_URL, data={"username": "bob", "password": other.password})
    ).status_code == 200


async def test_inactive_user_cannot_log_in(client, make_user) -> None:
    admin = await make_user("root", superuser=True)
    user = await make_user("alice")
    assert (
        await client.patch(f"/api/v1/users/{user.id}", json={"is_active": False}, headers=admin.auth)
    ).status_code == 200
    response = await client.post(TOKEN_URL, data={"username": "alice", "password": user.password})
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/forbidden"
    # and every token issued before the deactivation is revoked (401), even once it is reactivated
    assert (await client.get("/api/v1/users/me", headers=user.auth)).status_code == 401
    assert (
        await client.patch(f"/api/v1/users/{user.id}", json={"is_active": True}, headers=admin.auth)
    ).status_code == 200
    assert (await client.get("/api/v1/users/me", headers=user.auth)).status_code == 401


async def test_soft_deleted_user_cannot_log_in(client, make_user) -> None:
    user = await make_user("alice")
    assert (await client.delete("/api/v1/users/me", headers=user.auth)).status_code == 204
    response = await client.post(TOKEN_URL, data={"username": "alice", "password": user.password})
    assert response.status_code == 403
    assert (await client.get("/api/v1/users/me", headers=user.auth)).status_code == 401


def _token(**claims) -> str:
    return jwt.encode(claims, TEST_SECRET, algorithm="HS256")


def _bad_tokens(user_id: int) -> dict[str, str]:
    now = datetime.now(UTC)
    valid = _token(sub=str(user_id), exp=now + timedelta(minutes=5))
    return {
        "expired": _token(sub=str(user_id), exp=now - timedelta(seconds=5)),
        "no exp": _token(sub=str(user_id)),
        "no sub": _token(exp=now + timedelta(minutes=5)),
        "unknown sub": _token(sub="987654", exp=now + timedelta(minutes=5)),
        "non-numeric sub": _token(sub="alice", exp=now + timedelta(minutes=5)),
        "wrong secret": jwt.encode(
            {"sub": str(user_id), "exp": now + timedelta(minutes=5)}, "x" * 32, "HS256"
        ),
        "tampered": valid[:-4] + ("AAAA" if not valid.endswith("AAAA") else "BBBB"),
        "alg none": jwt.encode(
            {"sub": str(user_id), "exp": now + timedelta(minutes=5)}, None, algorithm="none"
        ),
        "garbage": "not-a-jwt",
    }


@pytest.mark.parametrize(
    "kind",
    [
        "expired",
        "no exp",
        "no sub",
        "unknown sub",
        "non-numeric sub",
        "wrong secret",
        "tampered",
        "alg none",
        "garbage",
    ],
)
async def test_bad_tokens_are_401_with_www_authenticate(client, make_user, kind: str) -> None:
    user = await make_user("alice")
    response = await client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {_bad_tokens(user.id)[kind]}"}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["type"] == "/problems/unauthorized"


async def test_missing_token_is_401(client) -> None:
    response = await client.get("/api/v1/users/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
