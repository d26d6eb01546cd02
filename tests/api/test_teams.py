"""Teams and heroes over HTTP: every endpoint and error status, ``secret_name`` hidden in every
response shape from all but superusers, ETags, and constant statement counts for the lists."""

from __future__ import annotations

from typing import Any

from tests.api.test_items import API, assert_problem


async def create(client, user, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"{API}/{path}", json=body, headers=user.auth)
    assert response.status_code == 201, response.text
    return response.json()


async def team(client, user, name: str, headquarters: str | None = None) -> dict[str, Any]:
    return await create(client, user, "teams", {"name": name, "headquarters": headquarters})


async def hero(client, user, name: str, age: int | None = None) -> dict[str, Any]:
    return await create(client, user, "heroes", {"name": name, "secret_name": f"secret {name}", "age": age})


async def join(client, user, team_id: int, hero_id: int, training: bool = False):
    return await client.put(
        f"{API}/teams/{team_id}/members/{hero_id}", json={"is_training": training}, headers=user.auth
    )


# --- teams ------------------------------------------------------------------------------------------


async def test_teams_create_read_patch_and_their_errors(client, make_user) -> None:
    ann = await make_user("ann")
    response = await client.post(
        f"{API}/teams", json={"name": "Avengers", "headquarters": "NYC"}, headers=ann.auth
    )
    assert response.status_code == 201
    created = response.json()
    assert created == {"id": created["id"], "name": "Avengers", "headquarters": "NYC", "members": []}
    assert response.headers["Location"] == f"{API}/teams/{created['id']}"
    read = await client.get(f"{API}/teams/{created['id']}")
    assert read.json() == created and read.headers["ETag"] == response.headers["ETag"]
    taken = assert_problem(
        await client.post(f"{API}/teams", json={"name": "AVENGERS"}, headers=ann.auth), 409, "already-exists"
    )
    assert (taken["detail"], taken["field"]) == ("Team with this name already exists", "name")
    assert_problem(await client.post(f"{API}/teams", json={"name": "X"}), 401, "unauthorized")
    for bad in ({}, {"name": ""}, {"name": "  "}, {"name": "x" * 101}, {"name": "a\u0000"}, {"name": 5},
                {"name": "A", "headquarters": "x" * 201}, {"name": "A", "members": []}):  # fmt: skip
        assert_problem(await client.post(f"{API}/teams", json=bad, headers=ann.auth), 422, "validation-error")
    assert_problem(await client.get(f"{API}/teams/999999"), 404, "not-found")
    assert_problem(await client.get(f"{API}/teams/0"), 422, "validation-error")
    url = f"{API}/teams/{created['id']}"
    patched = await client.patch(
        url, json={"headquarters": None}, headers={**ann.auth, "If-Match": read.headers["ETag"]}
    )
    assert patched.status_code == 200 and patched.json()["headquarters"] is None
    assert patched.json()["name"] == "Avengers" and patched.headers["ETag"] != read.headers["ETag"]
    stale = await client.patch(
        url, json={"name": "B"}, headers={**ann.auth, "If-Match": read.headers["ETag"]}
    )
    assert_problem(stale, 412, "precondition-failed")
    await team(client, ann, "Other")
    assert_problem(await client.patch(url, json={"name": "other"}, headers=ann.auth), 409, "already-exists")
    assert_problem(await client.patch(url, json={"name": None}, headers=ann.auth), 422, "validation-error")
    assert_problem(await client.patch(url, json={"name": "B"}), 401, "unauthorized")
    assert_problem(
        await client.patch(f"{API}/teams/999999", json={"name": "B"}, headers=ann.auth), 404, "not-found"
    )
    assert_problem(
        await client.patch(url, content=b"{", headers={**ann.auth, "content-type": "application/json"}),
        400,
        "bad-request",
    )


async def test_deleting_a_team_is_for_superusers_and_keeps_the_heroes(client, make_user) -> None:
    ann, root = await make_user("ann"), await make_user("root", superuser=True)
    t = await team(client, ann, "Alpha")
    h = await hero(client, ann, "Rusty", 48)
    assert (await join(client, ann, t["id"], h["id"])).status_code == 200
    assert_problem(await client.delete(f"{API}/teams/{t['id']}", headers=ann.auth), 403, "forbidden")
    assert_problem(await client.delete(f"{API}/teams/{t['id']}"), 401, "unauthorized")
    stale = await client.delete(f"{API}/teams/{t['id']}", headers={**root.auth, "If-Match": '"stale"'})
    assert_problem(stale, 412, "precondition-failed")
    assert (await client.delete(f"{API}/teams/{t['id']}", headers=root.auth)).status_code == 204
    assert_problem(await client.get(f"{API}/teams/{t['id']}"), 404, "not-found")
    assert_problem(await client.delete(f"{API}/teams/{t['id']}", headers=root.auth), 404, "not-found")
    kept = (await client.get(f"{API}/heroes/{h['id']}")).json()
    assert kept["name"] == "Rusty" and kept["teams"] == []


async def test_list_teams_search_and_pages(client, make_user) -> None:
    ann = await make_user("ann")
    for name in ("Alpha", "Beta_1", "Beta%2", "Gamma"):
        await team(client, ann, name)
    page = (await client.get(f"{API}/teams", params={"limit": 2})).json()
    assert [t["name"] for t in page["items"]] == ["Alpha", "Beta%2"] and page["total"] == 4
    rest = (await client.get(f"{API}/teams", params={"limit": 2, "cursor": page["next_cursor"]})).json()
    assert [t["name"] for t in rest["items"]] == ["Beta_1", "Gamma"] and rest["next_cursor"] is None
    found = (await client.get(f"{API}/teams", params={"q": "_"})).json()
    assert [t["name"] for t in found["items"]] == ["Beta_1"] and found["total"] == 1
    assert (await client.get(f"{API}/teams", params={"q": "beta%"})).json()["total"] == 1
    by_id = (await client.get(f"{API}/teams", params={"sort": "-id", "offset": 1, "limit": 1})).json()
    assert [t["name"] for t in by_id["items"]] == ["Beta%2"] and by_id["next_cursor"]
    for bad in ({"sort": "headquarters"}, {"q": ""}, {"limit": 101}, {"q": "x" * 101}):
        assert_problem(await client.get(f"{API}/teams", params=bad), 422, "validation-error")
    assert_problem(await client.get(f"{API}/teams", params={"cursor": "abc"}), 400, "bad-request")
    assert_problem(
        await client.get(f"{API}/teams", headers={"Authorization": "Bearer not-a-token"}), 401, "unauthorized"
    )


# --- memberships ------------------------------------------------------------------------------------


async def test_put_and_delete_members(client, make_user) -> None:
    ann = await make_user("ann")
    t, h = await team(client, ann, "Alpha"), await hero(client, ann, "Rusty", 48)
    added = await join(client, ann, t["id"], h["id"], training=True)
    assert added.status_code == 200
    assert added.json()["members"] == [
        {"hero_id": h["id"], "name": "Rusty", "secret_name": None, "is_training": True}
    ]
    assert added.headers["ETag"] == (await client.get(f"{API}/teams/{t['id']}")).headers["ETag"]
    updated = await join(client, ann, t["id"], h["id"], training=False)
    assert updated.status_code == 200 and updated.json()["members"][0]["is_training"] is False
    hero_view = (await client.get(f"{API}/heroes/{h['id']}")).json()
    assert hero_view["teams"] == [{"team_id": t["id"], "name": "Alpha", "is_training": False}]
    assert_problem(await join(client, ann, 999_999, h["id"]), 404, "not-found")
    assert_problem(await join(client, ann, t["id"], 999_999), 404, "not-found")
    url = f"{API}/teams/{t['id']}/members/{h['id']}"
    assert_problem(await client.put(url, json={"is_training": True}), 401, "unauthorized")
    for bad in ({}, {"is_training": "yes"}, {"is_training": 1}, {"is_training": True, "x": 1}):
        assert_problem(await client.put(url, json=bad, headers=ann.auth), 422, "validation-error")
    assert_problem(await client.delete(url), 401, "unauthorized")
    assert (await client.delete(url, headers=ann.auth)).status_code == 204
    gone = assert_problem(await client.delete(url, headers=ann.auth), 404, "not-found")
    assert gone["detail"] == f"Hero {h['id']} is not a member of team {t['id']}"
    assert (await client.get(f"{API}/teams/{t['id']}")).json()["members"] == []
    assert_problem(
        await client.delete(f"{API}/teams/999999/members/{h['id']}", headers=ann.auth), 404, "not-found"
    )


# --- heroes -----------------------------------------------------------------------------------------


async def test_heroes_create_read_patch_delete_and_their_errors(client, make_user) -> None:
    ann, root = await make_user("ann"), await make_user("root", superuser=True)
    response = await client.post(
        f"{API}/heroes", json={"name": "Deadpond", "secret_name": "Dive Wilson"}, headers=root.auth
    )
    assert (
        response.status_code == 201
        and response.headers["Location"] == f"{API}/heroes/{response.json()['id']}"
    )
    created = response.json()
    assert created == {
        "id": created["id"],
        "name": "Deadpond",
        "secret_name": "Dive Wilson",
        "age": None,
        "teams": [],
    }
    taken = assert_problem(
        await client.post(f"{API}/heroes", json={"name": "deadpond", "secret_name": "x"}, headers=ann.auth),
        409,
        "already-exists",
    )
    assert taken["detail"] == "Hero with this name already exists" and taken["field"] == "name"
    ages: list[Any] = [-1, 10001, "5", 5.5, True]
    for bad in [{"name": "X"}, {"name": "X", "secret_name": ""}, {"name": "", "secret_name": "s"},
                *({"name": "X", "secret_name": "s", "age": age} for age in ages)]:  # fmt: skip
        assert_problem(
            await client.post(f"{API}/heroes", json=bad, headers=ann.auth), 422, "validation-error"
        )
    whole = await client.post(
        f"{API}/heroes", json={"name": "Old", "secret_name": "s", "age": 10000.0}, headers=ann.auth
    )
    assert whole.status_code == 201 and whole.json()["age"] == 10000
    assert_problem(
        await client.post(f"{API}/heroes", json={"name": "X", "secret_name": "s"}), 401, "unauthorized"
    )
    url = f"{API}/heroes/{created['id']}"
    read = await client.get(url)
    assert read.json()["secret_name"] is None
    patched = await client.patch(
        url, json={"age": 30}, headers={**ann.auth, "If-Match": read.headers["ETag"]}
    )
    assert (
        patched.status_code == 200 and patched.json()["age"] == 30 and patched.json()["secret_name"] is None
    )
    stale = await client.patch(url, json={"age": 31}, headers={**ann.auth, "If-Match": read.headers["ETag"]})
    assert_problem(stale, 412, "precondition-failed")
    cleared = await client.patch(url, json={"age": None, "secret_name": "Wade"}, headers=root.auth)
    assert (cleared.json()["age"], cleared.json()["secret_name"]) == (None, "Wade")
    assert_problem(await client.patch(url, json={"name": "OLD"}, headers=ann.auth), 409, "already-exists")
    assert_problem(
        await client.patch(url, json={"secret_name": None}, headers=ann.auth), 422, "validation-error"
    )
    assert_problem(await client.patch(url, json={"age": 1}), 401, "unauthorized")
    assert_problem(
        await client.patch(f"{API}/heroes/999999", json={"age": 1}, headers=ann.auth), 404, "not-found"
    )
    assert_problem(await client.get(f"{API}/heroes/999999"), 404, "not-found")
    assert_problem(await client.delete(url, headers=ann.auth), 403, "forbidden")
    assert (await client.delete(url, headers=root.auth)).status_code == 204
    assert_problem(await client.delete(url, headers=root.auth), 404, "not-found")


async def test_list_heroes_filters_and_pages(client, make_user) -> None:
    ann = await make_user("ann")
    t = await team(client, ann, "Alpha")
    young, old, _ = (
        await hero(client, ann, "Young", 18),
        await hero(client, ann, "Old_1", 90),
        await hero(client, ann, "Nobody"),
    )
    await join(client, ann, t["id"], old["id"])

    async def names(**params: Any) -> list[str]:
        body = (await client.get(f"{API}/heroes", params=params)).json()
        assert body["total"] == len(body["items"])
        return [h["name"] for h in body["items"]]

    assert await names() == ["Nobody", "Old_1", "Young"]
    assert await names(q="_") == ["Old_1"]
    assert await names(q="O") == ["Nobody", "Old_1", "Young"]
    assert await names(team_id=t["id"]) == ["Old_1"]
    assert await names(min_age=18, max_age=18) == ["Young"]
    assert await names(min_age=19) == ["Old_1"]
    assert await names(max_age=0) == []
    crossed = assert_problem(
        await client.get(f"{API}/heroes", params={"min_age": 20, "max_age": 19}), 422, "validation-error"
    )
    assert crossed["detail"] == "min_age must not be greater than max_age"
    for bad in ({"min_age": -1}, {"max_age": 10001}, {"team_id": 0}, {"sort": "age"}, {"min_age": "x"}):
        assert_problem(await client.get(f"{API}/heroes", params=bad), 422, "validation-error")
    page = (await client.get(f"{API}/heroes", params={"limit": 1, "sort": "id"})).json()
    assert [h["id"] for h in page["items"]] == [young["id"]] and page["total"] == 3
    second = (
        await client.get(f"{API}/heroes", params={"limit": 1, "sort": "id", "cursor": page["next_cursor"]})
    ).json()
    assert [h["id"] for h in second["items"]] == [old["id"]]
    assert_problem(
        await client.get(
            f"{API}/heroes", params={"limit": 1, "sort": "id", "cursor": page["next_cursor"], "q": "o"}
        ),
        400,
        "bad-request",
    )


# --- secret names ----------------------------------------------------------------------------------


async def test_secret_name_is_hidden_in_every_response_shape_from_all_but_superusers(
    client, make_user
) -> None:
    ann, root = await make_user("ann"), await make_user("root", superuser=True)
    t = await team(client, ann, "Alpha")
    created = await client.post(
        f"{API}/heroes", json={"name": "Rusty", "secret_name": "Tommy", "age": 48}, headers=ann.auth
    )
    h = created.json()
    tid, hid = t["id"], h["id"]
    shapes: dict[str, Any] = {}

    async def collect(who: str, auth: dict[str, str]) -> list[Any]:
        found = []
        found.append(
            (
                await client.put(f"{API}/teams/{tid}/members/{hid}", json={"is_training": True}, headers=auth)
            ).json()["members"][0]
        )
        found.append((await client.get(f"{API}/teams/{tid}", headers=auth)).json()["members"][0])
        found.append((await client.get(f"{API}/teams", headers=auth)).json()["items"][0]["members"][0])
        found.append(
            (await client.patch(f"{API}/teams/{tid}", json={"headquarters": who}, headers=auth)).json()[
                "members"
            ][0]
        )
        found.append((await client.get(f"{API}/heroes/{hid}", headers=auth)).json())
        found.append((await client.get(f"{API}/heroes", headers=auth)).json()["items"][0])
        found.append(
            (await client.get(f"{API}/heroes", params={"team_id": tid}, headers=auth)).json()["items"][0]
        )
        found.append((await client.patch(f"{API}/heroes/{hid}", json={"age": 49}, headers=auth)).json())
        return found

    shapes["user"] = [created.json(), *await collect("user", ann.auth)]
    shapes["anonymous"] = [
        (await client.get(f"{API}/teams/{tid}")).json()["members"][0],
        (await client.get(f"{API}/teams")).json()["items"][0]["members"][0],
        (await client.get(f"{API}/heroes/{hid}")).json(),
        (await client.get(f"{API}/heroes")).json()["items"][0],
    ]
    shapes["superuser"] = await collect("superuser", root.auth)
    for who in ("anonymous", "user"):
        assert all("secret_name" in shape and shape["secret_name"] is None for shape in shapes[who]), shapes[
            who
        ]
    assert [shape["secret_name"] for shape in shapes["superuser"]] == ["Tommy"] * 8
    made_by_root = await create(client, root, "heroes", {"name": "Dive", "secret_name": "Diver"})
    assert made_by_root["secret_name"] == "Diver"
    assert "Tommy" not in (await client.get(f"{API}/teams/{tid}")).text
    assert (await client.get(f"{API}/teams/{tid}")).headers["ETag"] != (
        await client.get(f"{API}/teams/{tid}", headers=root.auth)
    ).headers["ETag"]


# --- statistics ------------------------------------------------------------------------------------


async def test_team_stats(client, make_user) -> None:
    assert (await client.get(f"{API}/stats/teams")).json() == []
    ann = await make_user("ann")
    empty, full = await team(client, ann, "Empty"), await team(client, ann, "Full")
    for name, age in (("A", 10), ("B", 11), ("C", 11), ("D", None)):
        await join(client, ann, full["id"], (await hero(client, ann, name, age))["id"])
    response = await client.get(f"{API}/stats/teams")
    assert response.status_code == 200
    assert response.json() == [
        {"team_id": full["id"], "team_name": "Full", "hero_count": 4, "avg_age": 10.67},
        {"team_id": empty["id"], "team_name": "Empty", "hero_count": 0, "avg_age": None},
    ]
    assert '"avg_age":10.67' in response.text


# --- statement counts ------------------------------------------------------------------------------


async def test_list_statement_counts_are_constant(client, make_user, count_statements) -> None:
    ann = await make_user("ann")
    heroes = [(await hero(client, ann, f"Hero {i:03d}", i))["id"] for i in range(8)]
    for i in range(120):
        t = await team(client, ann, f"Team {i:03d}")
        for h in heroes[: 1 + i % 4]:
            assert (await join(client, ann, t["id"], h, training=i % 2 == 0)).status_code == 200
    with count_statements() as log:
        response = await client.get(f"{API}/teams", params={"limit": 100})
    body = response.json()
    assert len(body["items"]) == 100 and body["next_cursor"] and all(t["members"] for t in body["items"])
    assert log.count <= 2, log.statements
    with count_statements() as log:
        response = await client.get(f"{API}/teams", params={"limit": 100, "cursor": body["next_cursor"]})
    assert len(response.json()["items"]) == 20 and log.count <= 2, log.statements
    for i in range(8, 130):
        await hero(client, ann, f"Hero {i:03d}", i)
    with count_statements() as log:
        response = await client.get(f"{API}/heroes", params={"limit": 100})
    body = response.json()
    assert len(body["items"]) == 100 and body["total"] == 130
    assert (
        len(body["items"][0]["teams"]) == 120 and body["items"][3]["teams"] and not body["items"][4]["teams"]
    )
    assert log.count <= 2, log.statements
    with count_statements() as log:
        response = await client.get(f"{API}/heroes", params={"limit": 100, "min_age": 1, "q": "hero"})
    assert len(response.json()["items"]) == 100 and log.count <= 2, log.statements
    with count_statements() as log:
        response = await client.get(f"{API}/teams/{body['items'][0]['teams'][0]['team_id']}")
    assert response.status_code == 200 and log.count <= 2, log.statements
    with count_statements() as log:
        response = await client.get(f"{API}/stats/teams")
    assert len(response.json()) == 120 and log.count == 1, log.statements
