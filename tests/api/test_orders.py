"""Orders over HTTP: placing (rejected lines, price copy, all rejected), visibility, lists
(role, status, offset and cursor), payment, the status diagram, refunds, the catalog's and
identity's delete refusals, every error status, ``Idempotency-Key``, statement counts, and two
races (two payments of one order; a payment against a cancellation)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.api.test_items import API, assert_problem, create
from tests.api.test_ledger import account, deposit


async def order(client, buyer, *lines: tuple[int, int], key: str | None = None):
    headers = {**buyer.auth, **({"Idempotency-Key": key} if key is not None else {})}
    body = {"lines": [{"item_id": item_id, "quantity": quantity} for item_id, quantity in lines]}
    return await client.post(f"{API}/orders", json=body, headers=headers)


async def placed(client, buyer, *lines: tuple[int, int]) -> dict[str, Any]:
    response = await order(client, buyer, *lines)
    assert response.status_code == 201, response.text
    return response.json()


async def pay(client, user, order_id: int, account_id: Any, key: str | None = None):
    headers = {**user.auth, **({"Idempotency-Key": key} if key is not None else {})}
    return await client.post(f"{API}/orders/{order_id}/pay", json={"account_id": account_id}, headers=headers)


async def move(client, user, order_id: int, status: str):
    return await client.post(f"{API}/orders/{order_id}/status", json={"status": status}, headers=user.auth)


async def balance(client, root, account_id: int) -> str:
    response = await client.get(f"{API}/accounts/{account_id}", headers=root.auth)
    assert response.status_code == 200, response.text
    return str(response.json()["balance"])


async def entries(client, root, account_id: int) -> list[tuple[str, str, int | None]]:
    page = (await client.get(f"{API}/accounts/{account_id}/entries", headers=root.auth)).json()
    return [(e["kind"], e["amount"], e["order_id"]) for e in page["items"]]


async def verified(app) -> None:
    report = await app.state.container.ledger.verify()()
    assert report.ok, report.problems


class Shop:
    """A seller with two items and an account, a buyer with 100.00, a superuser."""

    def __init__(self, client, make_user) -> None:
        self.client, self.make_user = client, make_user

    async def open(self) -> Shop:
        client = self.client
        self.seller, self.buyer = await self.make_user("seller"), await self.make_user("buyer")
        self.root = await self.make_user("root", superuser=True)
        self.lamp = await create(client, self.seller, "Lamp", "19.90")
        self.desk = await create(client, self.seller, "Desk", "100.05")
        self.seller_account = (await account(client, self.seller))["id"]
        self.buyer_account = (await account(client, self.buyer))["id"]
        funded = await deposit(client, self.root, self.buyer_account, "100.00")
        assert funded.status_code == 201, funded.text
        return self


@pytest.fixture
async def shop(client, make_user) -> Shop:
    return await Shop(client, make_user).open()


# --- placing an order ---------------------------------------------------------------------------


async def test_lines_copy_the_item_now_and_rejected_lines_are_reported(client, shop: Shop) -> None:
    inactive = await create(client, shop.seller, "Old", "5", is_active=False)
    own = await create(client, shop.buyer, "Mine", "1")
    response = await order(
        client, shop.buyer, (shop.lamp["id"], 3), (inactive["id"], 1), (own["id"], 1), (999_999, 2),
        (shop.desk["id"], 1),
    )  # fmt: skip
    assert response.status_code == 201, response.text
    body = response.json()
    assert [(line["item_id"], line["title"], line["quantity"], line["unit_price"], line["line_total"])
            for line in body["lines"]] == [
        (shop.lamp["id"], "Lamp", 3, "19.90", "59.70"),
        (shop.desk["id"], "Desk", 1, "100.05", "100.05"),
    ]  # fmt: skip
    assert body["total"] == "159.75" and body["status"] == "pending"
    assert body["buyer_id"] == shop.buyer.id and body["paid_from_account_id"] is None
    assert body["rejected_lines"] == [
        {"index": 1, "item_id": inactive["id"], "reason": "inactive-item"},
        {"index": 2, "item_id": own["id"], "reason": "own-item"},
        {"index": 3, "item_id": 999_999, "reason": "unknown-item"},
    ]
    assert body["created_at"].endswith("+00:00") and body["created_at"] == body["updated_at"]
    # later edits of the item never change the order
    edited = await client.patch(
        f"{API}/items/{shop.lamp['id']}", json={"title": "Lamp v2", "price": "1.00"}, headers=shop.seller.auth
    )
    assert edited.status_code == 200
    again = (await client.get(f"{API}/orders/{body['id']}", headers=shop.buyer.auth)).json()
    assert again["lines"][0]["title"] == "Lamp" and again["lines"][0]["unit_price"] == "19.90"
    assert again["total"] == "159.75" and "rejected_lines" not in again
    fresh = await placed(client, shop.buyer, (shop.lamp["id"], 1))
    assert (fresh["lines"][0]["title"], fresh["total"]) == ("Lamp v2", "1.00")


async def test_an_order_whose_every_line_is_rejected_is_not_made(client, shop: Shop) -> None:
    own = await create(client, shop.buyer, "Mine", "1")
    refused = await order(client, shop.buyer, (own["id"], 1), (424_242, 1))
    body = assert_problem(refused, 422, "validation-error")
    assert body["rejected_lines"] == [
        {"index": 0, "item_id": own["id"], "reason": "own-item"},
        {"index": 1, "item_id": 424_242, "reason": "unknown-item"},
    ]
    assert [e["loc"] for e in body["errors"]] == [
        ["body", "lines", 0, "item_id"],
        ["body", "lines", 1, "item_id"],
    ]
    listed = (await client.get(f"{API}/orders", headers=shop.buyer.auth)).json()
    assert listed["total"] == 0 and listed["items"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"lines": []},
        {"lines": [{"item_id": 1, "quantity": 0}]},
        {"lines": [{"item_id": 1, "quantity": 1001}]},
        {"lines": [{"item_id": 1}]},
        {"lines": [{"item_id": 0, "quantity": 1}]},
        {"lines": [{"item_id": "1", "quantity": 1}]},
        {"lines": [{"item_id": 1, "quantity": 1, "price": "0"}]},
        {"lines": [{"item_id": 1, "quantity": 1}] * 101},
        {"lines": [{"item_id": 1, "quantity": 1}], "status": "delivered"},
        {},
    ],
)
async def test_bad_order_bodies_are_422(client, make_user, body: dict[str, Any]) -> None:
    buyer = await make_user("buyer")
    assert_problem(await client.post(f"{API}/orders", json=body, headers=buyer.auth), 422, "validation-error")


async def test_malformed_bodies_and_ids(client, make_user) -> None:
    buyer = await make_user("buyer")
    headers = {**buyer.auth, "content-type": "application/json"}
    for path in ("/orders", "/orders/1/pay", "/orders/1/status"):
        assert_problem(
            await client.post(f"{API}{path}", content=b'{"lines": [', headers=headers), 400, "bad-request"
        )
    for path in ("/orders/0", f"/orders/{2**63}"):
        assert_problem(await client.get(f"{API}{path}", headers=buyer.auth), 422, "validation-error")
    assert (await client.get(f"{API}/orders/abc", headers=buyer.auth)).status_code == 404
    too_long_key = {**buyer.auth, "Idempotency-Key": "k" * 256}
    body = {"lines": [{"item_id": 1, "quantity": 1}]}
    assert_problem(
        await client.post(f"{API}/orders", json=body, headers=too_long_key), 422, "validation-error"
    )


async def test_orders_need_a_token(client) -> None:
    assert_problem(await client.post(f"{API}/orders", json={"lines": []}), 401, "unauthorized")
    assert_problem(await client.get(f"{API}/orders"), 401, "unauthorized")
    assert_problem(await client.get(f"{API}/orders/1"), 401, "unauthorized")


async def test_placing_honours_idempotency_keys(client, shop: Shop) -> None:
    first = await order(client, shop.buyer, (shop.lamp["id"], 1), key="order-1")
    again = await order(client, shop.buyer, (shop.lamp["id"], 1), key="order-1")
    assert first.status_code == again.status_code == 201 and again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert_problem(
        await order(client, shop.buyer, (shop.lamp["id"], 2), key="order-1"), 422, "idempotency-key-reused"
    )
    assert (await client.get(f"{API}/orders", headers=shop.buyer.auth)).json()["total"] == 1


# --- visibility and lists -----------------------------------------------------------------------


async def test_an_order_is_visible_to_its_buyer_sellers_and_superusers_only(client, shop: Shop) -> None:
    stranger = await shop.make_user("stranger")
    made = await placed(client, shop.buyer, (shop.lamp["id"], 1))
    for reader in (shop.buyer, shop.seller, shop.root):
        read = await client.get(f"{API}/orders/{made['id']}", headers=reader.auth)
        assert read.status_code == 200 and read.json() == {
            k: v for k, v in made.items() if k != "rejected_lines"
        }
    hidden = assert_problem(
        await client.get(f"{API}/orders/{made['id']}", headers=stranger.auth), 404, "not-found"
    )
    missing = assert_problem(
        await client.get(f"{API}/orders/999999", headers=stranger.auth), 404, "not-found"
    )
    assert (
        hidden["detail"] == f"Order {made['id']} not found" and missing["detail"] == "Order 999999 not found"
    )
    for forbidden in (pay(client, stranger, made["id"], 1), move(client, stranger, made["id"], "cancelled")):
        assert_problem(await forbidden, 404, "not-found")


async def test_lists_by_role_status_and_page(client, shop: Shop) -> None:
    other_seller = await shop.make_user("other")
    chair = await create(client, other_seller, "Chair", "3")
    ids = [(await placed(client, shop.buyer, (shop.lamp["id"], 1)))["id"] for _ in range(3)]
    chair_order = (await placed(client, shop.buyer, (chair["id"], 1)))["id"]
    cancelled = await move(client, shop.buyer, ids[0], "cancelled")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"

    async def listed(user, **params: Any) -> dict[str, Any]:
        response = await client.get(f"{API}/orders", params=params, headers=user.auth)
        assert response.status_code == 200, response.text
        return response.json()

    mine = await listed(shop.buyer)
    assert [o["id"] for o in mine["items"]] == [chair_order, *reversed(ids)] and mine["total"] == 4
    assert (await listed(shop.seller))["total"] == 0  # as buyer, the seller bought nothing
    sold = await listed(shop.seller, role="seller")
    assert [o["id"] for o in sold["items"]] == list(reversed(ids))
    assert [o["id"] for o in (await listed(other_seller, role="seller"))["items"]] == [chair_order]
    assert [o["id"] for o in (await listed(shop.buyer, status="cancelled"))["items"]] == [ids[0]]
    assert (await listed(shop.seller, role="seller", status="pending"))["total"] == 2
    assert (await listed(shop.root))["total"] == 4  # a superuser sees every order
    assert (await listed(shop.root, role="buyer"))["total"] == 0
    first = await listed(shop.buyer, limit=3, sort="created_at")
    assert [o["id"] for o in first["items"]] == ids and first["next_cursor"]
    rest = await listed(shop.buyer, limit=3, sort="created_at", cursor=first["next_cursor"])
    assert [o["id"] for o in rest["items"]] == [chair_order] and rest["next_cursor"] is None
    by_offset = await listed(shop.buyer, limit=2, offset=2, sort="created_at")
    assert [o["id"] for o in by_offset["items"]] == [ids[2], chair_order] and by_offset["next_cursor"] is None
    assert all(len(o["lines"]) == 1 for o in first["items"] + rest["items"])
    for params, status, slug in (
        ({"role": "owner"}, 422, "validation-error"),
        ({"status": "lost"}, 422, "validation-error"),
        ({"sort": "total"}, 422, "validation-error"),
        ({"limit": 101}, 422, "validation-error"),
        ({"cursor": first["next_cursor"], "offset": 1}, 400, "bad-request"),
        ({"cursor": first["next_cursor"], "status": "pending", "sort": "created_at"}, 400, "bad-request"),
    ):
        assert_problem(
            await client.get(f"{API}/orders", params=params, headers=shop.buyer.auth), status, slug
        )


# --- payment ------------------------------------------------------------------------------------


async def test_payment_moves_the_money_and_the_order(client, shop: Shop, app) -> None:
    chair_seller = await shop.make_user("chairs")
    chair = await create(client, chair_seller, "Chair", "0.35")
    oldest = (await account(client, chair_seller, "Oldest"))["id"]
    await account(client, chair_seller, "Newer")
    made = await placed(client, shop.buyer, (shop.lamp["id"], 2), (chair["id"], 3), (shop.lamp["id"], 1))
    assert made["total"] == "60.75"
    paid = await pay(client, shop.buyer, made["id"], shop.buyer_account)
    assert paid.status_code == 200, paid.text
    body = paid.json()
    assert (body["status"], body["paid_from_account_id"], body["total"]) == (
        "processing",
        shop.buyer_account,
        "60.75",
    )
    assert body["updated_at"] > body["created_at"] or body["updated_at"] == body["created_at"]
    assert await balance(client, shop.root, shop.buyer_account) == "39.25"
    assert await balance(client, shop.root, shop.seller_account) == "59.70"
    assert await balance(client, shop.root, oldest) == "1.05"
    assert (await entries(client, shop.root, shop.buyer_account))[0] == ("payment_out", "60.75", made["id"])
    assert await entries(client, shop.root, shop.seller_account) == [("payment_in", "59.70", made["id"])]
    assert await entries(client, shop.root, oldest) == [("payment_in", "1.05", made["id"])]
    read = (await client.get(f"{API}/orders/{made['id']}", headers=shop.seller.auth)).json()
    assert read == body
    again = assert_problem(
        await pay(client, shop.buyer, made["id"], shop.buyer_account), 409, "invalid-transition"
    )
    assert again["allowed"] == ["cancelled"]
    await verified(app)


async def test_payment_refusals_leave_nothing(client, shop: Shop, app) -> None:
    poor = await shop.make_user("poor")
    no_account_seller = await shop.make_user("noaccount")
    rug = await create(client, no_account_seller, "Rug", "1")
    made = await placed(client, shop.buyer, (shop.desk["id"], 1))
    cheap = await placed(client, shop.buyer, (rug["id"], 1), (shop.lamp["id"], 1))
    others = (await account(client, poor))["id"]
    too_much = await pay(client, shop.buyer, made["id"], shop.buyer_account)
    assert_problem(too_much, 409, "insufficient-funds")
    no_seller_account = assert_problem(
        await pay(client, shop.buyer, cheap["id"], shop.buyer_account), 409, "conflict"
    )
    assert no_seller_account["detail"] == f"Seller {no_account_seller.id} has no account to be paid into"
    assert_problem(await pay(client, shop.buyer, made["id"], others), 404, "not-found")  # not the buyer's
    assert_problem(await pay(client, shop.buyer, made["id"], 999_999), 404, "not-found")
    assert_problem(await pay(client, shop.seller, made["id"], shop.seller_account), 403, "forbidden")
    assert_problem(await pay(client, shop.root, made["id"], shop.buyer_account), 403, "forbidden")
    assert_problem(await pay(client, shop.buyer, 999_999, shop.buyer_account), 404, "not-found")
    for bad in ({}, {"account_id": 0}, {"account_id": "1"}, {"account_id": 1, "amount": "1"}):
        response = await client.post(f"{API}/orders/{made['id']}/pay", json=bad, headers=shop.buyer.auth)
        assert_problem(response, 422, "validation-error")
    assert await balance(client, shop.root, shop.buyer_account) == "100.00"
    assert await balance(client, shop.root, shop.seller_account) == "0.00"
    for made_order in (made, cheap):
        read = (await client.get(f"{API}/orders/{made_order['id']}", headers=shop.buyer.auth)).json()
        assert (read["status"], read["paid_from_account_id"]) == ("pending", None)
    await verified(app)


async def test_payment_honours_idempotency_keys(client, shop: Shop) -> None:
    made = await placed(client, shop.buyer, (shop.lamp["id"], 1))
    first = await pay(client, shop.buyer, made["id"], shop.buyer_account, key="pay-1")
    again = await pay(client, shop.buyer, made["id"], shop.buyer_account, key="pay-1")
    assert first.status_code == again.status_code == 200 and first.content == again.content
    assert again.headers["idempotent-replayed"] == "true"
    assert await balance(client, shop.root, shop.buyer_account) == "80.10"
    assert_problem(await pay(client, shop.buyer, made["id"], 1, key="pay-1"), 422, "idempotency-key-reused")


# --- the status diagram -------------------------------------------------------------------------


async def test_forward_moves_by_sellers_and_superusers_cancel_by_the_buyer(client, shop: Shop) -> None:
    made = await placed(client, shop.buyer, (shop.lamp["id"], 1))
    refused = assert_problem(
        await move(client, shop.seller, made["id"], "processing"), 409, "invalid-transition"
    )
    assert refused["allowed"] == []  # a pending order moves on by its payment
    buyer_refused = assert_problem(
        await move(client, shop.buyer, made["id"], "shipped"), 409, "invalid-transition"
    )
    assert buyer_refused["allowed"] == ["cancelled"]
    assert (await pay(client, shop.buyer, made["id"], shop.buyer_account)).status_code == 200
    cannot_cancel = assert_problem(
        await move(client, shop.seller, made["id"], "cancelled"), 409, "invalid-transition"
    )
    assert cannot_cancel["allowed"] == ["shipped"]
    shipped = await move(client, shop.seller, made["id"], "shipped")
    assert shipped.status_code == 200 and shipped.json()["status"] == "shipped"
    late = assert_problem(await move(client, shop.buyer, made["id"], "cancelled"), 409, "invalid-transition")
    assert late["allowed"] == [] and late["detail"].startswith(f"Order {made['id']} is shipped")
    delivered = await move(client, shop.root, made["id"], "delivered")
    assert delivered.status_code == 200 and delivered.json()["status"] == "delivered"
    done = assert_problem(await move(client, shop.root, made["id"], "delivered"), 409, "invalid-transition")
    assert done["allowed"] == []
    for bad in ({"status": "lost"}, {}, {"status": "shipped", "note": "x"}):
        response = await client.post(f"{API}/orders/{made['id']}/status", json=bad, headers=shop.root.auth)
        assert_problem(response, 422, "validation-error")


async def test_cancelling_a_paid_order_refunds_every_payment(client, shop: Shop, app) -> None:
    chair_seller = await shop.make_user("chairs")
    chair = await create(client, chair_seller, "Chair", "2.50")
    chair_account = (await account(client, chair_seller))["id"]
    made = await placed(client, shop.buyer, (shop.lamp["id"], 1), (chair["id"], 2))
    assert (await pay(client, shop.buyer, made["id"], shop.buyer_account)).status_code == 200
    assert await balance(client, shop.root, shop.buyer_account) == "75.10"
    cancelled = await move(client, shop.buyer, made["id"], "cancelled")
    assert cancelled.status_code == 200, cancelled.text
    assert (
        cancelled.json()["status"] == "cancelled"
        and cancelled.json()["paid_from_account_id"] == shop.buyer_account
    )
    assert await balance(client, shop.root, shop.buyer_account) == "100.00"
    assert await balance(client, shop.root, shop.seller_account) == "0.00"
    assert await balance(client, shop.root, chair_account) == "0.00"
    assert (await entries(client, shop.root, shop.buyer_account))[0] == ("refund_in", "24.90", made["id"])
    assert (await entries(client, shop.root, chair_account))[0] == ("refund_out", "5.00", made["id"])
    assert_problem(await move(client, shop.buyer, made["id"], "cancelled"), 409, "invalid-transition")
    await verified(app)


async def test_a_refund_the_seller_cannot_cover_changes_nothing(client, shop: Shop, app) -> None:
    made = await placed(client, shop.buyer, (shop.lamp["id"], 1))
    assert (await pay(client, shop.buyer, made["id"], shop.buyer_account)).status_code == 200
    elsewhere = (await account(client, shop.seller, "Savings"))["id"]
    spent = await client.post(
        f"{API}/transfers",
        json={"from_account_id": shop.seller_account, "to_account_id": elsewhere, "amount": "10"},
        headers=shop.seller.auth,
    )
    assert spent.status_code == 201
    assert_problem(await move(client, shop.buyer, made["id"], "cancelled"), 409, "insufficient-funds")
    read = (await client.get(f"{API}/orders/{made['id']}", headers=shop.buyer.auth)).json()
    assert read["status"] == "processing" and await balance(client, shop.root, shop.buyer_account) == "80.10"
    await verified(app)


# --- what orders keep from being deleted ----------------------------------------------------------


async def test_ordered_items_and_their_buyers_cannot_be_deleted(client, shop: Shop) -> None:
    await placed(client, shop.buyer, (shop.lamp["id"], 1))
    refused = assert_problem(
        await client.delete(f"{API}/items/{shop.lamp['id']}", headers=shop.seller.auth), 409, "conflict"
    )
    assert "order lines" in refused["detail"] or refused["detail"].startswith("Item is still referenced")
    assert (await client.get(f"{API}/items/{shop.lamp['id']}")).status_code == 200
    assert (
        await client.delete(f"{API}/items/{shop.desk['id']}", headers=shop.seller.auth)
    ).status_code == 204
    shopper = await shop.make_user("shopper")
    assert (await placed(client, shopper, (shop.lamp["id"], 1)))["id"]
    hard = await client.delete(f"{API}/users/{shopper.id}", params={"hard": "true"}, headers=shop.root.auth)
    assert_problem(hard, 409, "conflict")  # a buyer with orders (and no account)
    assert (await client.get(f"{API}/users/{shopper.id}")).status_code == 200


# --- statement counts ---------------------------------------------------------------------------


async def test_reads_cost_a_constant_number_of_statements(client, shop: Shop, count_statements) -> None:
    items = [await create(client, shop.seller, f"Thing {n}", "0.01") for n in range(30)]
    small = await placed(client, shop.buyer, (items[0]["id"], 1))
    big = await placed(client, shop.buyer, *[(item["id"], 2) for item in items])
    for _ in range(20):
        await placed(client, shop.buyer, *[(item["id"], 1) for item in items[:5]])
    counts = []
    for made in (small, big):
        with count_statements() as log:
            response = await client.get(f"{API}/orders/{made['id']}", headers=shop.buyer.auth)
        assert response.status_code == 200 and len(response.json()["lines"]) == len(made["lines"])
        counts.append(log.count)
    assert counts == [2, 2], counts  # the caller; the order with its lines
    with count_statements() as log:
        page = await client.get(f"{API}/orders", params={"limit": 100}, headers=shop.buyer.auth)
    assert len(page.json()["items"]) == 22 and sum(len(o["lines"]) for o in page.json()["items"]) == 131
    assert log.count == 3, log.statements  # the caller; the page and its total; every line of it
    with count_statements() as log:
        page = await client.get(
            f"{API}/orders", params={"limit": 100, "role": "seller"}, headers=shop.seller.auth
        )
    assert len(page.json()["items"]) == 22 and log.count == 3, log.statements


# --- races --------------------------------------------------------------------------------------


async def test_two_concurrent_payments_of_one_order_pay_once(client, shop: Shop, app) -> None:
    made = await placed(client, shop.buyer, (shop.lamp["id"], 2))
    answers = await asyncio.gather(
        *(pay(client, shop.buyer, made["id"], shop.buyer_account) for _ in range(2))
    )
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409], [a.text for a in answers]
    loser = next(a for a in answers if a.status_code == 409).json()
    assert loser["type"] == "/problems/invalid-transition" and loser["allowed"] == ["cancelled"]
    assert await balance(client, shop.root, shop.buyer_account) == "60.20"
    payments = [e for e in await entries(client, shop.root, shop.buyer_account) if e[0] == "payment_out"]
    assert payments == [("payment_out", "39.80", made["id"])]
    await verified(app)


async def test_a_payment_racing_a_cancellation_never_loses_money(client, shop: Shop, app) -> None:
    outcomes = set()
    for _ in range(6):
        made = await placed(client, shop.buyer, (shop.lamp["id"], 1))
        paid, cancelled = await asyncio.gather(
            pay(client, shop.buyer, made["id"], shop.buyer_account),
            move(client, shop.buyer, made["id"], "cancelled"),
        )
        assert cancelled.status_code == 200, cancelled.text  # the buyer may cancel before or after paying
        final = (await client.get(f"{API}/orders/{made['id']}", headers=shop.buyer.auth)).json()
        assert final["status"] == "cancelled"
        if paid.status_code == 200:  # paid, then refunded by the cancellation
            assert final["paid_from_account_id"] == shop.buyer_account
            outcomes.add("paid-then-refunded")
        else:
            assert_problem(paid, 409, "invalid-transition")
            assert final["paid_from_account_id"] is None
            outcomes.add("cancelled-unpaid")
        assert await balance(client, shop.root, shop.buyer_account) == "100.00"
        assert await balance(client, shop.root, shop.seller_account) == "0.00"
        await verified(app)
    assert outcomes  # whichever came first, money was neither lost nor created
