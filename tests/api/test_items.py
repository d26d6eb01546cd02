"""HTTP behaviour of the catalog: every endpoint's success and error statuses, ETag/If-Match,
ownership, transfer rules, batch semantics, literal search, combined filters, statement counts."""

from __future__ import annotations

import asyncio
import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from sqlalchemy import text

API = "/api/v1"


async def create(client, user, title: str = "Lamp", price: Any = "19.90", **extra: Any) -> dict[str, Any]:
    response = await client.post(
        f"{API}/items", json={"title": title, "price": price, **extra}, headers=user.auth
    )
    assert response.status_code == 201, response.text
    return response.json()


def assert_problem(response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == f"/problems/{slug}" and body["status"] == status
    return body


# --- create and read ----------------------------------------------------------------------------


async def test_create_read_and_etag(client, make_user) -> None:
    alice = await make_user("alice")
    response = await client.post(
        f"{API}/items",
        json={"title": "Lamp", "price": 19.9, "description": "Warm", "tags": ["Home", "light", "home"]},
        headers=alice.auth,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["price"] == "19.90" and body["tags"] == ["home", "light"] and body["is_active"] is True
    assert body["owner"] == {"id": alice.id, "username": "alice"}
    assert body["created_at"].endswith("+00:00")
    assert response.headers["location"] == f"{API}/items/{body['id']}"
    etag = response.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    read = await client.get(f"{API}/items/{body['id']}")
    assert read.status_code == 200 and read.json() == body and read.headers["etag"] == etag
    assert_problem(await client.get(f"{API}/items/999999"), 404, "not-found")
    assert_problem(await client.get(f"{API}/items/0"), 422, "validation-error")
    assert_problem(await client.get(f"{API}/items/{2**63}"), 422, "validation-error")


async def test_create_needs_a_token(client) -> None:
    assert_problem(await client.post(f"{API}/items", json={"title": "x", "price": 1}), 401, "unauthorized")


@pytest.mark.parametrize(
    "raw_price",
    [
        '"1e400"',
        "1e400",
        "NaN",
        "Infinity",
        "-Infinity",
        '"NaN"',
        "-1",
        '"-0.01"',
        '"1.234"',
        "1.234",
        "true",
        "null",
        '"abc"',
        '""',
        "10000000000",
        '"99999999999.99"',
        "[]",
        "{}",
    ],
)
async def test_bad_prices_are_422_never_500(client, make_user, raw_price: str) -> None:
    alice = await make_user("alice")
    response = await client.post(
        f"{API}/items",
        content=f'{{"title": "x", "price": {raw_price}}}',
        headers={**alice.auth, "content-type": "application/json"},
    )
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"]


async def test_good_prices_are_normalised(client, make_user) -> None:
    alice = await make_user("alice")
    for i, (raw, shown) in enumerate(
        [("0", "0.00"), ("5.5", "5.50"), ('"7"', "7.00"), ("9999999999.99", "9999999999.99")]
    ):
        response = await client.post(
            f"{API}/items",
            content=f'{{"title": "t{i}", "price": {raw}}}',
            headers={**alice.auth, "content-type": "application/json"},
        )
        assert response.status_code == 201, response.text
        assert response.json()["price"] == shown


async def test_create_validation_and_duplicates(client, make_user) -> None:
    alice = await make_user("alice")
    bob = await make_user("bob")
    await create(client, alice, "Lamp")
    for bad in (
        {"title": "", "price": 1},
        {"title": "x" * 201, "price": 1},
        {"title": "x", "price": 1, "description": "d" * 5001},
        {"title": "x", "price": 1, "tags": ["bad tag"]},
        {"title": "x", "price": 1, "tags": [f"t{i}" for i in range(21)]},
        {"title": "x", "price": 1, "owner_id": bob.id},  # unknown field: no mass assignment
        {"title": "x"},
        {"title": "a\u0000b", "price": 1},
        {"title": "x", "price": 1, "description": "\u0000"},
        {"title": "x", "price": 1, "tags": ["a\u0000"]},
    ):
        assert_problem(
            await client.post(f"{API}/items", json=bad, headers=alice.auth), 422, "validation-error"
        )
    dup = await client.post(f"{API}/items", json={"title": "LAMP", "price": 1}, headers=alice.auth)
    assert assert_problem(dup, 409, "already-exists")["field"] == "title"
    await create(client, bob, "lamp")  # another owner may
    malformed = await client.post(
        f"{API}/items", content=b"{not json", headers={**alice.auth, "content-type": "application/json"}
    )
    assert_problem(malformed, 400, "bad-request")


# --- PUT, PATCH, DELETE: ownership and If-Match -------------------------------------------------


async def test_put_patch_with_if_match(client, make_user) -> None:
    alice = await make_user("alice")
    item = await create(client, alice, "Lamp", tags=["a", "b"], description="d")
    url = f"{API}/items/{item['id']}"
    etag = (await client.get(url)).headers["etag"]
    full = {"title": "Lamp 2", "description": None, "price": "5", "is_active": False, "tags": ["C"]}
    put = await client.put(url, json=full, headers={**alice.auth, "If-Match": etag})
    assert put.status_code == 200, put.text
    assert (put.json()["title"], put.json()["description"], put.json()["price"], put.json()["tags"]) == (
        "Lamp 2",
        None,
        "5.00",
        ["c"],
    )
    new_etag = put.headers["etag"]
    assert new_etag != etag
    stale = await client.put(url, json=full, headers={**alice.auth, "If-Match": etag})
    assert_problem(stale, 412, "precondition-failed")
    stale = await client.patch(url, json={"title": "x"}, headers={**alice.auth, "If-Match": etag})
    assert_problem(stale, 412, "precondition-failed")
    weak = await client.patch(url, json={"title": "x"}, headers={**alice.auth, "If-Match": f"W/{new_etag}"})
    assert_problem(weak, 412, "precondition-failed")
    assert (await client.get(url)).json()["title"] == "Lamp 2"
    partial = {k: v for k, v in full.items() if k != "tags"}
    assert_problem(await client.put(url, json=partial, headers=alice.auth), 422, "validation-error")
    patch = await client.patch(url, json={"tags": ["x", "y"]}, headers={**alice.auth, "If-Match": new_etag})
    assert patch.status_code == 200 and patch.json()["tags"] == ["x", "y"]
    assert patch.json()["title"] == "Lamp 2" and patch.headers["etag"] != new_etag
    for bad in (
        {"title": None},
        {"price": None},
        {"tags": None},
        {"is_active": None},
        {"owner_id": 1},
        {"price": "1.001"},
    ):
        assert_problem(await client.patch(url, json=bad, headers=alice.auth), 422, "validation-error")
    cleared = await client.patch(url, json={"description": None, "tags": []}, headers=alice.auth)
    assert cleared.json()["tags"] == [] and cleared.json()["description"] is None
    assert_problem(
        await client.patch(f"{API}/items/999999", json={"title": "x"}, headers=alice.auth), 404, "not-found"
    )


async def test_ownership(client, make_user) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    root = await make_user("root", superuser=True)
    item = await create(client, alice)
    url = f"{API}/items/{item['id']}"
    full = {"title": "T", "description": None, "price": "1", "is_active": True, "tags": []}
    assert_problem(await client.put(url, json=full, headers=bob.auth), 403, "forbidden")
    assert_problem(await client.patch(url, json={"title": "B"}, headers=bob.auth), 403, "forbidden")
    assert_problem(await client.delete(url, headers=bob.auth), 403, "forbidden")
    transfer = await client.post(f"{url}/transfer", json={"new_owner_id": bob.id}, headers=bob.auth)
    assert_problem(transfer, 403, "forbidden")
    assert_problem(await client.patch(url, json={"title": "B"}), 401, "unauthorized")
    assert (await client.get(url)).json()["title"] == "Lamp"
    by_root = await client.patch(url, json={"title": "Root"}, headers=root.auth)
    assert by_root.status_code == 200 and by_root.json()["owner"]["id"] == alice.id


async def test_delete(client, make_user, db) -> None:
    alice = await make_user("alice")
    item = await create(client, alice, tags=["gone"])
    url = f"{API}/items/{item['id']}"
    assert_problem(
        await client.delete(url, headers={**alice.auth, "If-Match": '"stale"'}), 412, "precondition-failed"
    )
    response = await client.delete(
        url, headers={**alice.auth, "If-Match": (await client.get(url)).headers["etag"]}
    )
    assert response.status_code == 204 and response.content == b""
    assert_problem(await client.get(url), 404, "not-found")
    assert_problem(await client.delete(url, headers=alice.auth), 404, "not-found")
    async with db.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM item_tags")) == 0


async def test_delete_referenced_item_is_409_conflict(client, make_user, db) -> None:
    alice = await make_user("alice")
    item = await create(client, alice)
    async with db.begin() as conn:
        await conn.execute(text("CREATE TABLE order_lines_stub (item_id bigint REFERENCES items(id))"))
        await conn.execute(text("INSERT INTO order_lines_stub VALUES (:i)"), {"i": item["id"]})
    try:
        response = await client.delete(f"{API}/items/{item['id']}", headers=alice.auth)
        assert_problem(response, 409, "conflict")
        assert (await client.get(f"{API}/items/{item['id']}")).status_code == 200
    finally:
        async with db.begin() as conn:
            await conn.execute(text("DROP TABLE order_lines_stub"))


# --- transfer -----------------------------------------------------------------------------------


async def test_transfer(client, make_user) -> None:
    alice, bob, carol = await make_user("alice"), await make_user("bob"), await make_user("carol")
    root = await make_user("root", superuser=True)
    item = await create(client, alice, "Lamp")
    url = f"{API}/items/{item['id']}/transfer"
    for target in (999999, 0):
        assert_problem(
            await client.post(url, json={"new_owner_id": target}, headers=alice.auth), 422, "validation-error"
        )
    off = await client.patch(f"{API}/users/{carol.id}", json={"is_active": False}, headers=root.auth)
    assert off.status_code == 200
    assert_problem(
        await client.post(url, json={"new_owner_id": carol.id}, headers=alice.auth), 422, "validation-error"
    )
    before = (await client.get(f"{API}/items/{item['id']}")).headers["etag"]
    moved = await client.post(url, json={"new_owner_id": bob.id}, headers=alice.auth)
    assert moved.status_code == 200 and moved.json()["owner"] == {"id": bob.id, "username": "bob"}
    after = (await client.get(f"{API}/items/{item['id']}")).headers["etag"]
    assert moved.headers["etag"] == after != before  # a new owner is a new representation
    await create(client, alice, "lamp")
    clash = await client.post(url, json={"new_owner_id": alice.id}, headers=bob.auth)
    assert_problem(clash, 409, "already-exists")
    assert_problem(
        await client.post(f"{API}/items/999999/transfer", json={"new_owner_id": bob.id}, headers=bob.auth),
        404,
        "not-found",
    )
    assert_problem(
        await client.post(url, json={"new_owner_id": alice.id, "x": 1}, headers=bob.auth),
        422,
        "validation-error",
    )


# --- batch --------------------------------------------------------------------------------------


async def test_batch_mixed_elements(client, make_user, db) -> None:
    alice = await make_user("alice")
    await create(client, alice, "Existing")
    elements = [
        {"title": "One", "price": "1.10", "tags": ["batch-new"]},
        {"title": "one", "price": 2, "tags": ["dup-only"]},  # duplicate inside the batch
        {"title": "Existing", "price": 1},  # duplicate of a stored item
        {"title": "Two", "price": "1.234"},
        {"title": "Three", "price": 3, "is_superuser": True},
        "nope",
        None,
        {"title": "Four", "price": 4.5, "is_active": False, "description": "d"},
        {"title": "", "price": 1},
        {"title": "Five", "price": 5, "tags": ["Batch-New", "x"]},
    ]
    response = await client.post(f"{API}/items/batch", json={"items": elements}, headers=alice.auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["failed"]) == (3, 7)
    statuses = [(r["index"], r["status"]) for r in body["results"]]
    assert statuses == [(i, "created" if i in (0, 7, 9) else "failed") for i in range(10)]
    failed = {r["index"]: r["error"] for r in body["results"] if r["status"] == "failed"}
    assert failed[1]["type"] == "/problems/already-exists" and failed[1]["status"] == 409
    assert failed[2]["type"] == "/problems/already-exists"
    assert all(failed[i]["type"] == "/problems/validation-error" for i in (3, 4, 5, 6, 8))
    assert failed[3]["errors"][0]["loc"] == ["body", "items", 3, "price"]
    created_ids = [r["id"] for r in body["results"] if r["status"] == "created"]
    async with db.connect() as conn:
        rows = (await conn.execute(text("SELECT id, title, price, is_active FROM items ORDER BY id"))).all()
        tags = (await conn.execute(text("SELECT name FROM tags ORDER BY name"))).scalars().all()
    assert [(r.title, r.price, r.is_active) for r in rows] == [
        ("Existing", Decimal("19.90"), True),
        ("One", Decimal("1.10"), True),
        ("Four", Decimal("4.50"), False),
        ("Five", Decimal("5.00"), True),
    ]
    assert [r.id for r in rows[1:]] == created_ids
    assert tags == ["batch-new", "x"]  # nothing of the failed duplicate's new tag remains


async def test_batch_limits(client, make_user) -> None:
    alice = await make_user("alice")
    too_many = {"items": [{"title": f"t{i}", "price": 1} for i in range(1001)]}
    assert_problem(
        await client.post(f"{API}/items/batch", json=too_many, headers=alice.auth), 422, "validation-error"
    )
    assert_problem(await client.post(f"{API}/items/batch", json={"items": []}), 401, "unauthorized")
    assert_problem(
        await client.post(f"{API}/items/batch", json={"elements": []}, headers=alice.auth),
        422,
        "validation-error",
    )
    huge = {"items": [{"title": "x" * 200, "price": 1, "description": "d" * 5000} for _ in range(250)]}
    assert_problem(
        await client.post(f"{API}/items/batch", json=huge, headers=alice.auth), 413, "payload-too-large"
    )
    empty = await client.post(f"{API}/items/batch", json={"items": []}, headers=alice.auth)
    assert empty.json() == {"created": 0, "failed": 0, "results": []}


# --- lists --------------------------------------------------------------------------------------


async def _catalog(client, users, n: int = 80, seed: int = 5) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    words = ["red", "blue", "lamp", "Chair", "100%", "a_b", "desk"]
    made: list[dict[str, Any]] = []
    for user in users:
        batch = []
        for i in range(n // len(users)):
            batch.append(
                {
                    "title": f"{rng.choice(words)} {rng.choice(words)} {user.username}{i}",
                    "price": rng.choice(["0.00", "9.99", "10.00", "10.01", "50", "99.99", "250.00"]),
                    "tags": rng.sample(["a", "b", "c", "d", "e"], rng.randint(0, 3)),
                    "is_active": rng.random() < 0.85,
                }
            )
        response = await client.post(f"{API}/items/batch", json={"items": batch}, headers=user.auth)
        assert response.json()["failed"] == 0, response.text
        for element, result in zip(batch, response.json()["results"], strict=True):
            made.append(
                {
                    **element,
                    "id": result["id"],
                    "owner_id": user.id,
                    "price": Decimal(element["price"]),
                    "tags": sorted(element["tags"]),
                }
            )
    return made


async def _walk(client, params: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    found, cursor, total = [], None, -1
    while True:
        page = await client.get(
            f"{API}/items", params={**params, "limit": 7, **({"cursor": cursor} if cursor else {})}
        )
        assert page.status_code == 200, page.text
        found += page.json()["items"]
        total = page.json()["total"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return found, total


async def test_filters_combined_match_python(client, make_user) -> None:
    users = [await make_user("alice"), await make_user("bob")]
    made = await _catalog(client, users)

    def ref(q=None, min_price=None, max_price=None, tags=(), owner_id=None, is_active=True):  # type: ignore[no-untyped-def]
        return sorted(
            (
                m
                for m in made
                if (is_active is None or m["is_active"] == is_active)
                and (q is None or q.lower() in m["title"].lower())
                and (min_price is None or m["price"] >= Decimal(min_price))
                and (max_price is None or m["price"] <= Decimal(max_price))
                and all(t in m["tags"] for t in tags)
                and (owner_id is None or m["owner_id"] == owner_id)
            ),
            key=lambda m: (m["price"], m["id"]),
        )

    cases = [
        {},
        {"q": "LAMP"},
        {"q": "%"},
        {"q": "_"},
        {"q": "0%"},
        {"q": "a_b"},
        {"min_price": "9.99", "max_price": "10.01"},
        {"min_price": 10},
        {"tag": ["a", "B"]},
        {"is_active": False},
        {"q": "red", "tag": ["a"], "max_price": "99.99", "owner_id": users[0].id},
        {"q": "e", "min_price": "0", "tag": ["c"], "is_active": False, "owner_id": users[1].id},
    ]
    for params in cases:
        kwargs = {("tags" if k == "tag" else k): v for k, v in params.items()}
        if "tags" in kwargs:
            kwargs["tags"] = [t.lower() for t in kwargs["tags"]]
        if "min_price" in kwargs:
            kwargs["min_price"] = str(kwargs["min_price"])
        expected = ref(**kwargs)
        found, total = await _walk(client, {**params, "sort": "price"})
        assert [f["id"] for f in found] == [e["id"] for e in expected], params
        assert total == len(expected)
    literal = ref(q="%")
    assert literal and all("%" in m["title"] for m in literal)


async def test_list_errors(client, make_user) -> None:
    for params in (
        {"min_price": "10", "max_price": "5"},
        {"min_price": "abc"},
        {"max_price": "-1"},
        {"sort": "owner"},
        {"sort": "-id"},
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"tag": "bad tag"},
        {"owner_id": 0},
        {"q": ""},
        {"min_price": "1e400"},
        {"q": "a\x00"},
    ):
        assert_problem(await client.get(f"{API}/items", params=params), 422, "validation-error")
    for cursor in ("garbage", "AAAA", "a" * 900):  # the shape of a cursor, but not one issued
        assert_problem(await client.get(f"{API}/items", params={"cursor": cursor}), 400, "bad-request")
    # not even the shape (URL-safe base64 without padding) the OpenAPI document declares
    assert_problem(await client.get(f"{API}/items", params={"cursor": "!!!!"}), 422, "validation-error")
    alice = await make_user("alice")
    for i in range(3):
        await create(client, alice, f"t{i}")
    first = (await client.get(f"{API}/items", params={"limit": 1})).json()
    assert first["next_cursor"] and first["total"] == 3
    both = await client.get(f"{API}/items", params={"limit": 1, "offset": 1, "cursor": first["next_cursor"]})
    assert_problem(both, 400, "bad-request")
    other_sort = await client.get(
        f"{API}/items", params={"limit": 1, "sort": "price", "cursor": first["next_cursor"]}
    )
    assert_problem(other_sort, 400, "bad-request")
    offset_page = (await client.get(f"{API}/items", params={"limit": 1, "offset": 1})).json()
    assert offset_page["next_cursor"] is not None
    assert (await client.get(f"{API}/items", params={"limit": 1, "offset": 2})).json()["next_cursor"] is None


async def test_user_items(client, make_user) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    await create(client, alice, "One", tags=["x"])
    await create(client, alice, "Off", is_active=False)
    await create(client, bob, "Bob's")
    page = (await client.get(f"{API}/users/{alice.id}/items")).json()
    assert [i["title"] for i in page["items"]] == ["One"] and page["total"] == 1
    assert page["items"][0]["tags"] == ["x"]
    assert_problem(await client.get(f"{API}/users/999999/items"), 404, "not-found")
    assert (await client.delete(f"{API}/users/me", headers=alice.auth)).status_code == 204
    assert_problem(await client.get(f"{API}/users/{alice.id}/items"), 404, "not-found")
    everything = (await client.get(f"{API}/items", params={"is_active": False})).json()
    assert {i["title"] for i in everything["items"]} == {"One", "Off"}  # soft delete deactivated them
    assert [i["title"] for i in (await client.get(f"{API}/items")).json()["items"]] == ["Bob's"]


# --- statement counts (PostgreSQL) ---------------------------------------------------------------


async def test_statement_counts_are_constant(client, make_user, count_statements) -> None:
    alice = await make_user("alice")
    tags = [f"tag-{i}" for i in range(20)]
    batch = [{"title": f"item {i}", "price": i, "tags": tags} for i in range(120)]
    assert (await client.post(f"{API}/items/batch", json={"items": batch}, headers=alice.auth)).json()[
        "created"
    ] == 120
    item_id = (await client.get(f"{API}/items", params={"limit": 1})).json()["items"][0]["id"]
    with count_statements() as log:
        response = await client.get(f"{API}/items/{item_id}")
    assert response.status_code == 200 and len(response.json()["tags"]) == 20
    assert log.count <= 2, log.statements
    print("GET /items/{id} statements:", log.count)
    with count_statements() as log:
        response = await client.get(f"{API}/items", params={"limit": 100, "tag": ["tag-1"], "q": "item"})
    assert len(response.json()["items"]) == 100 and response.json()["next_cursor"]
    assert log.count <= 3, log.statements
    print("GET /items?limit=100 statements:", log.count)
    with count_statements() as log:
        response = await client.get(
            f"{API}/items",
            params={"limit": 100, "tag": ["tag-1"], "q": "item", "cursor": response.json()["next_cursor"]},
        )
    assert response.status_code == 200 and len(response.json()["items"]) == 20
    assert log.count <= 3, log.statements
    print("GET /items?cursor=... (last page) statements:", log.count)
    with count_statements() as log:
        response = await client.get(f"{API}/users/{alice.id}/items", params={"limit": 100})
    assert len(response.json()["items"]) == 100 and all(
        len(i["tags"]) == 20 for i in response.json()["items"]
    )
    assert log.count <= 3, log.statements
    print("GET /users/{id}/items statements:", log.count)


# --- tags and stats -----------------------------------------------------------------------------


async def test_creating_an_item_sends_what_the_work_needs(client, make_user, count_statements) -> None:
    """The caller, the item, its links to existing tags in one INSERT ... SELECT, and the
    committed view (BEGIN and COMMIT are protocol messages, not counted). A new tag adds its
    creation and the lookups that go with it."""
    alice = await make_user("alice")
    await create(client, alice, "First", tags=["lamp", "oak"])
    with count_statements() as log:
        created = await create(client, alice, "Second", tags=["oak", "lamp"])
    assert created["tags"] == ["lamp", "oak"]
    assert log.count == 4, log.statements
    with count_statements() as log:
        created = await create(client, alice, "Third", tags=["oak", "brand-new"])
    assert created["tags"] == ["brand-new", "oak"]
    assert 4 < log.count <= 8, log.statements


async def test_tags_and_stats_match_python(client, make_user) -> None:
    empty = (await client.get(f"{API}/stats/items")).json()
    assert empty == {
        "total_items": 0,
        "active_items": 0,
        "avg_price": None,
        "min_price": None,
        "max_price": None,
        "top_tags": [],
    }
    users = [await make_user("alice"), await make_user("bob"), await make_user("carol")]
    made = await _catalog(client, users, n=60, seed=9)
    stats = (await client.get(f"{API}/stats/items")).json()
    active = [m["price"] for m in made if m["is_active"]]
    avg = (sum(active, Decimal(0)) / len(active)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert stats["total_items"] == len(made) and stats["active_items"] == len(active)
    assert (stats["avg_price"], stats["min_price"], stats["max_price"]) == (
        f"{avg:.2f}",
        f"{min(active):.2f}",
        f"{max(active):.2f}",
    )
    counts: dict[str, int] = {}
    for m in made:
        for t in m["tags"]:
            counts[t] = counts.get(t, 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert [(t["name"], t["item_count"]) for t in stats["top_tags"]] == top
    tags = (await client.get(f"{API}/tags", params={"sort": "name", "limit": 100})).json()
    assert [(t["name"], t["item_count"]) for t in tags["items"]] == sorted(counts.items())
    by_count = (await client.get(f"{API}/tags", params={"sort": "-item_count", "limit": 2})).json()
    assert by_count["total"] == len(counts) and by_count["next_cursor"]
    assert by_count["items"][0]["item_count"] == max(counts.values())
    assert_problem(await client.get(f"{API}/tags", params={"sort": "count"}), 422, "validation-error")
    walked, cursor = [], None
    while True:
        params: dict[str, Any] = {"sort": "-item_count", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(f"{API}/tags", params=params)).json()
        walked += [(t["item_count"], t["name"]) for t in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert sorted(walked, reverse=True)[0] == walked[0] and len(walked) == len(counts)
    assert [c for c, _ in walked] == sorted((c for c, _ in walked), reverse=True)
    user_stats = (await client.get(f"{API}/stats/users")).json()
    per_user = sorted(
        ((u.id, u.username, sum(m["owner_id"] == u.id for m in made)) for u in users),
        key=lambda t: (-t[2], t[0]),
    )
    assert [(u["user_id"], u["username"], u["item_count"]) for u in user_stats["top_users"]] == per_user


async def test_hard_delete_of_a_user_cascades_to_items(client, make_user, db) -> None:
    alice, root = await make_user("alice"), await make_user("root", superuser=True)
    item = await create(client, alice, tags=["keep-tag"])
    response = await client.delete(f"{API}/users/{alice.id}", params={"hard": "true"}, headers=root.auth)
    assert response.status_code == 204
    assert_problem(await client.get(f"{API}/items/{item['id']}"), 404, "not-found")
    async with db.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM item_tags")) == 0
        assert await conn.scalar(text("SELECT count(*) FROM tags")) == 1  # tags outlive their items


async def test_concurrent_writes_with_the_same_if_match_one_wins(client, make_user) -> None:
    """The row is locked between the If-Match check and the write: of two PATCHes that both
    read the same version, exactly one succeeds and the other gets 412."""
    alice = await make_user("alice")
    item = await create(client, alice)
    url = f"{API}/items/{item['id']}"
    etag = (await client.get(url)).headers["etag"]
    results = await asyncio.gather(
        *(client.patch(url, json={"price": str(p)}, headers={**alice.auth, "If-Match": etag}) for p in (1, 2))
    )
    assert sorted(r.status_code for r in results) == [200, 412]
    winner = next(r for r in results if r.status_code == 200)
    assert (await client.get(url)).json()["price"] == winner.json()["price"]


async def test_crossing_batches_that_deadlock_are_retried(client, make_user, db) -> None:
    """Two batches creating the same new tags in opposite orders deadlock on PostgreSQL; the
    loser's unit of work runs again, so both succeed completely."""
    alice, bob = await make_user("alice"), await make_user("bob")
    a = [{"title": f"a{i}", "price": 1, "tags": [f"t{i}"]} for i in range(6)]
    b = [{"title": f"b{i}", "price": 1, "tags": [f"t{5 - i}"]} for i in range(6)]
    r1, r2 = await asyncio.gather(
        client.post(f"{API}/items/batch", json={"items": a}, headers=alice.auth),
        client.post(f"{API}/items/batch", json={"items": b}, headers=bob.auth),
    )
    assert (r1.status_code, r2.status_code) == (200, 200), (r1.text, r2.text)
    assert r1.json()["created"] == r2.json()["created"] == 6
    async with db.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM items")) == 12
        assert await conn.scalar(text("SELECT count(*) FROM tags")) == 6
        assert await conn.scalar(text("SELECT count(*) FROM item_tags")) == 12


async def test_the_etag_changes_when_the_owner_renames(client, make_user) -> None:
    """The body shows ``owner.username``: a rename is a new representation, so a new strong ETag,
    and a write with the old tag is stale."""
    alice = await make_user("alice")
    item = await create(client, alice)
    url = f"{API}/items/{item['id']}"
    before = (await client.get(url)).headers["etag"]
    renamed = await client.patch(f"{API}/users/me", json={"username": "alicia"}, headers=alice.auth)
    assert renamed.status_code == 200
    after = await client.get(url)
    assert after.json()["owner"]["username"] == "alicia" and after.headers["etag"] != before
    stale = await client.patch(url, json={"price": "2"}, headers={**alice.auth, "If-Match": before})
    assert_problem(stale, 412, "precondition-failed")
    fresh = await client.patch(
        url, json={"price": "2"}, headers={**alice.auth, "If-Match": after.headers["etag"]}
    )
    assert fresh.status_code == 200
