"""Blog over HTTP: every endpoint's success and error statuses, ETag/If-Match, authorship,
filters (``since``, literal ``q``), both paginations, ``/users/{id}/posts``, ``/stats/authors``
(the HAVING boundary), ``posted_since`` on ``/users``, the hard-delete cascade, statement counts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from tests.api.test_items import API, assert_problem

T0 = datetime(2026, 3, 1, tzinfo=UTC)


async def create(client, user, title: str = "Hello", content: str = "World") -> dict[str, Any]:
    response = await client.post(f"{API}/posts", json={"title": title, "content": content}, headers=user.auth)
    assert response.status_code == 201, response.text
    return response.json()


async def backdate(db, post_id: int, at: datetime) -> None:
    """Sets a post's ``created_at`` (the service stamps the real time)."""
    stored = at.astimezone(UTC).replace(tzinfo=None) if db.dialect.name in ("mysql", "mariadb") else at
    async with db.begin() as conn:
        await conn.execute(
            text("UPDATE posts SET created_at = :at, updated_at = :at WHERE id = :id"),
            {"at": stored, "id": post_id},
        )


# --- create, read, patch, delete --------------------------------------------------------------------


async def test_create_read_and_etag(client, make_user) -> None:
    ann = await make_user("ann")
    response = await client.post(
        f"{API}/posts", json={"title": "First", "content": "Body 😀"}, headers=ann.auth
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["title"], body["content"], body["author"]) == (
        "First",
        "Body 😀",
        {"id": ann.id, "username": "ann"},
    )
    assert body["created_at"].endswith("+00:00") and body["created_at"] == body["updated_at"]
    assert response.headers["location"] == f"{API}/posts/{body['id']}"
    etag = response.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    read = await client.get(f"{API}/posts/{body['id']}")
    assert read.status_code == 200 and read.json() == body and read.headers["etag"] == etag
    assert_problem(await client.get(f"{API}/posts/999999"), 404, "not-found")
    assert_problem(await client.get(f"{API}/posts/0"), 422, "validation-error")
    assert_problem(await client.get(f"{API}/posts/{2**63}"), 422, "validation-error")


async def test_create_needs_a_token_and_valid_fields(client, make_user) -> None:
    assert_problem(
        await client.post(f"{API}/posts", json={"title": "t", "content": "c"}), 401, "unauthorized"
    )
    ann = await make_user("ann")
    for bad in (
        {"title": "", "content": "c"},
        {"title": "   ", "content": "c"},
        {"title": "t" * 201, "content": "c"},
        {"title": "t", "content": ""},
        {"title": "t", "content": " \n"},
        {"title": "t", "content": "c" * 50_001},
        {"title": "t"},
        {"content": "c"},
        {"title": None, "content": "c"},
        {"title": 5, "content": "c"},
        {"title": "a\x00", "content": "c"},
        {"title": "t", "content": "c", "author_id": 1},
    ):
        assert_problem(await client.post(f"{API}/posts", json=bad, headers=ann.auth), 422, "validation-error")
    longest = await create(client, ann, "t" * 200, "c" * 50_000)
    assert len(longest["content"]) == 50_000
    malformed = await client.post(
        f"{API}/posts", content=b"{nope", headers={**ann.auth, "content-type": "application/json"}
    )
    assert_problem(malformed, 400, "bad-request")


async def test_patch_with_if_match_and_authorship(client, make_user) -> None:
    ann, bob = await make_user("ann"), await make_user("bob")
    root = await make_user("root", superuser=True)
    post = await create(client, ann)
    url = f"{API}/posts/{post['id']}"
    etag = (await client.get(url)).headers["etag"]
    patched = await client.patch(url, json={"title": "New"}, headers={**ann.auth, "If-Match": etag})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["title"], patched.json()["content"]) == ("New", "World")
    new_etag = patched.headers["etag"]
    assert new_etag != etag and patched.json()["updated_at"] > post["updated_at"]
    for stale in (etag, f"W/{new_etag}", '"other"'):
        response = await client.patch(url, json={"title": "x"}, headers={**ann.auth, "If-Match": stale})
        assert_problem(response, 412, "precondition-failed")
    same = await client.patch(url, json={"title": "New"}, headers={**ann.auth, "If-Match": new_etag})
    assert same.headers["etag"] == new_etag  # nothing changed: same representation
    star = await client.patch(url, json={"content": "Star"}, headers={**ann.auth, "If-Match": "*"})
    assert star.status_code == 200 and star.json()["content"] == "Star"
    assert_problem(await client.patch(url, json={"title": "B"}, headers=bob.auth), 403, "forbidden")
    assert_problem(await client.patch(url, json={"title": "B"}), 401, "unauthorized")
    missing = await client.patch(f"{API}/posts/999999", json={"title": "x"}, headers=bob.auth)
    assert_problem(missing, 404, "not-found")  # unknown is 404 even for someone who could not edit it
    for bad in (
        {"title": None},
        {"content": None},
        {"title": ""},
        {"author_id": bob.id},
        {"content": "c" * 50_001},
    ):
        assert_problem(await client.patch(url, json=bad, headers=ann.auth), 422, "validation-error")
    by_root = await client.patch(url, json={"content": "By root"}, headers=root.auth)
    assert by_root.status_code == 200 and by_root.json()["author"]["id"] == ann.id
    assert (await client.get(url)).json()["content"] == "By root"


async def test_delete(client, make_user) -> None:
    ann, bob = await make_user("ann"), await make_user("bob")
    root = await make_user("root", superuser=True)
    post = await create(client, ann)
    url = f"{API}/posts/{post['id']}"
    assert_problem(await client.delete(url, headers=bob.auth), 403, "forbidden")
    assert_problem(await client.delete(url), 401, "unauthorized")
    assert_problem(
        await client.delete(url, headers={**ann.auth, "If-Match": '"stale"'}), 412, "precondition-failed"
    )
    response = await client.delete(
        url, headers={**ann.auth, "If-Match": (await client.get(url)).headers["etag"]}
    )
    assert response.status_code == 204 and response.content == b""
    assert_problem(await client.get(url), 404, "not-found")
    assert_problem(await client.delete(url, headers=ann.auth), 404, "not-found")
    other = await create(client, ann)
    assert (await client.delete(f"{API}/posts/{other['id']}", headers=root.auth)).status_code == 204


async def test_concurrent_patches_with_the_same_if_match_one_wins(client, make_user) -> None:
    ann = await make_user("ann")
    post = await create(client, ann)
    url = f"{API}/posts/{post['id']}"
    etag = (await client.get(url)).headers["etag"]
    results = await asyncio.gather(
        *(client.patch(url, json={"title": t}, headers={**ann.auth, "If-Match": etag}) for t in ("A", "B"))
    )
    assert sorted(r.status_code for r in results) == [200, 412]
    winner = next(r for r in results if r.status_code == 200)
    assert (await client.get(url)).json()["title"] == winner.json()["title"]


async def test_the_etag_changes_when_the_author_renames(client, make_user) -> None:
    ann = await make_user("ann")
    post = await create(client, ann)
    url = f"{API}/posts/{post['id']}"
    before = (await client.get(url)).headers["etag"]
    assert (
        await client.patch(f"{API}/users/me", json={"username": "anna"}, headers=ann.auth)
    ).status_code == 200
    after = await client.get(url)
    assert after.json()["author"]["username"] == "anna" and after.headers["etag"] != before
    stale = await client.patch(url, json={"title": "x"}, headers={**ann.auth, "If-Match": before})
    assert_problem(stale, 412, "precondition-failed")


# --- lists ------------------------------------------------------------------------------------------


async def _walk(client, url: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    found, cursor = [], None
    while True:
        page = await client.get(url, params={**params, "limit": 2, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        found += page.json()["items"]
        if (cursor := page.json()["next_cursor"]) is None:
            return found, page.json()["total"]


async def test_list_filters_sorts_and_pages(client, make_user, db) -> None:
    ann, bob = await make_user("ann"), await make_user("bob")
    made = {}
    for day, (who, title) in enumerate(
        [(ann, "Alpha"), (bob, "50% off"), (ann, "snake_case"), (bob, "beta"), (ann, "Gamma")]
    ):
        post = await create(client, who, title)
        await backdate(db, post["id"], T0 + timedelta(days=day))
        made[title] = post["id"]
    url = f"{API}/posts"
    default = (await client.get(url)).json()
    assert [p["title"] for p in default["items"]] == ["Gamma", "beta", "snake_case", "50% off", "Alpha"]
    assert (default["total"], default["limit"], default["offset"], default["next_cursor"]) == (5, 20, 0, None)

    async def titles(**params: Any) -> list[str]:
        found, total = await _walk(client, url, params)
        assert total == len(found)
        return [p["title"] for p in found]

    assert await titles(sort="title") == ["50% off", "Alpha", "Gamma", "beta", "snake_case"]
    assert await titles(sort="-title", author_id=ann.id) == ["snake_case", "Gamma", "Alpha"]
    assert await titles(sort="created_at", since="2026-03-03") == ["snake_case", "beta", "Gamma"]
    assert await titles(sort="created_at", since="2026-03-03T00:00:00Z") == ["snake_case", "beta", "Gamma"]
    assert await titles(sort="created_at", since="2026-03-03T00:00:00.000001+00:00") == ["beta", "Gamma"]
    assert await titles(sort="created_at", since="2026-03-03T01:00:00+01:00") == [
        "snake_case",
        "beta",
        "Gamma",
    ]
    assert await titles(since="2026-03-02T23:00:00-01:00", author_id=bob.id) == ["beta"]
    assert await titles(q="%") == ["50% off"]
    assert await titles(q="_") == ["snake_case"]
    assert await titles(q="A", sort="title") == ["Alpha", "Gamma", "beta", "snake_case"]
    assert await titles(q="a", author_id=bob.id, since="2026-03-04") == ["beta"]
    assert await titles(since="0001-01-01") == ["Gamma", "beta", "snake_case", "50% off", "Alpha"]
    assert await titles(since="9999-12-31T23:59:59Z") == []
    offset = (await client.get(url, params={"sort": "title", "limit": 2, "offset": 2})).json()
    assert (
        [p["title"] for p in offset["items"]] == ["Gamma", "beta"]
        and offset["next_cursor"]
        and offset["total"] == 5
    )


async def test_list_errors(client, make_user) -> None:
    url = f"{API}/posts"
    for params in (
        {"since": "2026-03-01T00:00:00"},  # no offset
        {"since": "2026-02-30"},
        {"since": "yesterday"},
        {"since": "1700000000"},
        {"since": ""},
        {"sort": "author"},
        {"sort": "-id"},
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"author_id": 0},
        {"q": ""},
        {"q": "a\x00"},
        {"since": ["2026-01-01", "2026-01-02"]},
    ):
        assert_problem(await client.get(url, params=params), 422, "validation-error")
    since = await client.get(url, params={"since": "2026-03-01T00:00:00"})
    assert since.json()["errors"][0]["loc"] == ["query", "since"]
    ann = await make_user("ann")
    for i in range(3):
        await create(client, ann, f"p{i}")
    first = (await client.get(url, params={"limit": 1})).json()
    assert first["next_cursor"] and first["total"] == 3
    for params in (
        {"offset": 1},
        {"sort": "title"},
        {"author_id": ann.id},
        {"since": "2026-01-01"},
        {"q": "p"},
    ):
        response = await client.get(url, params={"limit": 1, "cursor": first["next_cursor"], **params})
        assert_problem(response, 400, "bad-request")
    assert_problem(await client.get(url, params={"cursor": "garbage"}), 400, "bad-request")
    assert_problem(await client.get(url, params={"cursor": "!!"}), 422, "validation-error")


async def test_user_posts(client, make_user) -> None:
    ann, bob = await make_user("ann"), await make_user("bob")
    for i in range(3):
        await create(client, ann, f"a{i}")
    await create(client, bob, "b")
    url = f"{API}/users/{ann.id}/posts"
    page = (await client.get(url, params={"limit": 2})).json()
    assert [p["title"] for p in page["items"]] == ["a2", "a1"] and page["total"] == 3 and page["next_cursor"]
    rest = (await client.get(url, params={"limit": 2, "cursor": page["next_cursor"]})).json()
    assert [p["title"] for p in rest["items"]] == ["a0"] and rest["next_cursor"] is None
    by_title = (await client.get(url, params={"sort": "title", "offset": 1})).json()
    assert [p["title"] for p in by_title["items"]] == ["a1", "a2"]
    assert_problem(await client.get(url, params={"sort": "content"}), 422, "validation-error")
    other = await client.get(f"{API}/users/{bob.id}/posts", params={"cursor": page["next_cursor"]})
    assert_problem(other, 400, "bad-request")
    assert_problem(await client.get(f"{API}/users/999999/posts"), 404, "not-found")
    assert (await client.delete(f"{API}/users/me", headers=ann.auth)).status_code == 204
    assert_problem(await client.get(url), 404, "not-found")
    assert (await client.get(f"{API}/posts", params={"author_id": ann.id})).json()[
        "total"
    ] == 3  # still readable


async def test_author_stats_having_boundary(client, make_user) -> None:
    assert (await client.get(f"{API}/stats/authors")).json() == []
    ann, bob, cid = await make_user("ann"), await make_user("bob"), await make_user("cid")
    for who, n in ((ann, 5), (bob, 6), (cid, 7)):
        for i in range(n):
            await create(client, who, f"{who.username}{i}")
    default = await client.get(f"{API}/stats/authors")
    assert default.status_code == 200
    assert default.json() == [  # exactly 5 posts is not more than the default 5
        {"user_id": cid.id, "username": "cid", "post_count": 7},
        {"user_id": bob.id, "username": "bob", "post_count": 6},
    ]
    four = (await client.get(f"{API}/stats/authors", params={"min_posts": 4})).json()
    assert [(a["username"], a["post_count"]) for a in four] == [("cid", 7), ("bob", 6), ("ann", 5)]
    assert (await client.get(f"{API}/stats/authors", params={"min_posts": 7})).json() == []
    top = (await client.get(f"{API}/stats/authors", params={"min_posts": 0, "limit": 1})).json()
    assert [a["username"] for a in top] == ["cid"]
    for params in ({"min_posts": -1}, {"min_posts": "x"}, {"limit": 0}, {"limit": 101}, {"min_posts": 2**31}):
        assert_problem(await client.get(f"{API}/stats/authors", params=params), 422, "validation-error")


async def test_users_posted_since(client, make_user, db) -> None:
    root = await make_user("root", superuser=True)
    ann, bob, cid = await make_user("ann"), await make_user("bob"), await make_user("cid")
    for who, day in ((ann, 0), (bob, 2), (cid, 3)):
        post = await create(client, who)
        await backdate(db, post["id"], T0 + timedelta(days=day))
    inactive = await client.patch(f"{API}/users/{cid.id}", json={"is_active": False}, headers=root.auth)
    assert inactive.status_code == 200
    url = f"{API}/users"

    async def names(**params: Any) -> list[str]:
        found, cursor = [], None
        while True:
            response = await client.get(
                url,
                params={"sort": "username", "limit": 1, **params, **({"cursor": cursor} if cursor else {})},
                headers=root.auth,
            )
            assert response.status_code == 200, response.text
            found += [u["username"] for u in response.json()["items"]]
            assert response.json()["total"] >= len(found)
            if (cursor := response.json()["next_cursor"]) is None:
                return found

    assert await names(posted_since="2026-03-01") == ["ann", "bob", "cid"]
    assert await names(posted_since="2026-03-03") == ["bob", "cid"]
    assert await names(posted_since="2026-03-03T00:00:00.000001Z") == ["cid"]
    assert await names(posted_since="2026-03-03", is_active=True) == ["bob"]
    assert await names(posted_since="2026-03-01", q="CID") == ["cid"]
    assert await names(posted_since="2026-03-04T01:00:00+01:00") == ["cid"]  # that is 2026-03-04T00:00Z
    offset = (
        await client.get(
            url, params={"posted_since": "2026-03-01", "sort": "username", "offset": 1}, headers=root.auth
        )
    ).json()
    assert [u["username"] for u in offset["items"]] == ["bob", "cid"] and offset["total"] == 3
    first = (
        await client.get(url, params={"posted_since": "2026-03-01", "limit": 1}, headers=root.auth)
    ).json()
    again = await client.get(
        url, params={"posted_since": "2026-03-02", "cursor": first["next_cursor"]}, headers=root.auth
    )
    assert_problem(again, 400, "bad-request")
    assert_problem(
        await client.get(url, params={"posted_since": "2026-03-01"}, headers=ann.auth), 403, "forbidden"
    )
    assert_problem(await client.get(url, params={"posted_since": "2026-03-01"}), 401, "unauthorized")
    for bad in ("2026-03-01T00:00:00", "March", "2026-13-01"):
        assert_problem(
            await client.get(url, params={"posted_since": bad}, headers=root.auth), 422, "validation-error"
        )


async def test_hard_delete_of_a_user_cascades_to_posts(client, make_user, db) -> None:
    ann, bob = await make_user("ann"), await make_user("bob")
    root = await make_user("root", superuser=True)
    gone, kept = await create(client, ann), await create(client, bob)
    assert (await client.delete(f"{API}/users/{ann.id}", headers=root.auth)).status_code == 204  # soft
    assert (await client.get(f"{API}/posts/{gone['id']}")).status_code == 200
    hard = await client.delete(f"{API}/users/{ann.id}", params={"hard": "true"}, headers=root.auth)
    assert hard.status_code == 204
    assert_problem(await client.get(f"{API}/posts/{gone['id']}"), 404, "not-found")
    assert (await client.get(f"{API}/posts/{kept['id']}")).status_code == 200
    async with db.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM posts")) == 1


# --- statement counts -------------------------------------------------------------------------------


async def test_statement_counts_are_constant(client, make_user, count_statements) -> None:
    root = await make_user("root", superuser=True)
    users = [await make_user(f"writer{i}") for i in range(6)]
    for i in range(120):
        await create(client, users[i % 6], f"post {i}", "x" * 100)
    with count_statements() as log:
        response = await client.get(f"{API}/posts", params={"limit": 100, "q": "post"})
    assert len(response.json()["items"]) == 100 and response.json()["total"] == 120
    assert log.count == 1, log.statements
    with count_statements() as log:
        last = await client.get(
            f"{API}/posts", params={"limit": 100, "q": "post", "cursor": response.json()["next_cursor"]}
        )
    assert len(last.json()["items"]) == 20 and log.count == 1, log.statements
    with count_statements() as log:
        since = await client.get(
            f"{API}/posts", params={"limit": 100, "since": "2000-01-01", "sort": "title"}
        )
    assert len(since.json()["items"]) == 100 and log.count == 1, log.statements
    post_id = response.json()["items"][0]["id"]
    with count_statements() as log:
        assert (await client.get(f"{API}/posts/{post_id}")).status_code == 200
    assert log.count == 1, log.statements
    with count_statements() as log:
        mine = await client.get(f"{API}/users/{users[0].id}/posts", params={"limit": 100})
    assert mine.json()["total"] == 20 and log.count == 2, log.statements  # the user, the page
    with count_statements() as log:
        stats = await client.get(f"{API}/stats/authors", params={"min_posts": 19})
    assert len(stats.json()) == 6 and log.count == 1, log.statements
    assert "HAVING" in log.statements[0].upper() and "GROUP BY" in log.statements[0].upper()
    with count_statements() as log:
        listed = await client.get(
            f"{API}/users", params={"limit": 100, "posted_since": "2000-01-01"}, headers=root.auth
        )
    assert listed.json()["total"] == 6 and log.count == 2, log.statements  # the caller, the page
    assert "EXISTS" in log.statements[-1].upper()
    with count_statements() as log:
        created = await client.post(f"{API}/posts", json={"title": "t", "content": "c"}, headers=root.auth)
    assert created.status_code == 201
    print("POST /posts statements:", log.count, log.statements)


@pytest.mark.parametrize("limit", [1, 100])
async def test_list_statement_count_does_not_depend_on_the_page_size(
    client, make_user, count_statements, limit
) -> None:
    ann = await make_user("ann")
    for i in range(3):
        await create(client, ann, f"p{i}")
    with count_statements() as log:
        await client.get(f"{API}/posts", params={"limit": limit})
    assert log.count == 1, log.statements
