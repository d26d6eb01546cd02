from __future__ import annotations


async def test_sign_up_login_and_read_me(client, make_user) -> None:
    user = await make_user("alice")
    response = await client.get("/api/v1/users/me", headers=user.auth)
    assert response.status_code == 200
    assert response.json()["username"] == "alice"
