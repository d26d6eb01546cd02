"""Ledger over HTTP: accounts, deposits, transfers, entries, every error status, and
``Idempotency-Key``."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.api.test_items import API, assert_problem


async def account(client, user, name: str | None = None) -> dict[str, Any]:
    response = await client.post(
        f"{API}/accounts", json={} if name is None else {"name": name}, headers=user.auth
    )
    assert response.status_code == 201, response.text
    return response.json()


async def deposit(client, root, account_id: int, amount: str, key: str | None = None):
    headers = {**root.auth, **({"Idempotency-Key": key} if key is not None else {})}
    return await client.post(
        f"{API}/accounts/{account_id}/deposits", json={"amount": amount}, headers=headers
    )


async def transfer(client, user, source: int, target: int, amount: Any, key: str | None = None):
    headers = {**user.auth, **({"Idempotency-Key": key} if key is not None else {})}
    body = {"from_account_id": source, "to_account_id": target, "amount": amount}
    return await client.post(f"{API}/transfers", json=body, headers=headers)


async def test_accounts_and_deposits(client, make_user) -> None:
    ann, bob = await make_user("ann"), await make_user("bob")
    root = await make_user("root", superuser=True)
    main = await account(client, ann)
    assert (main["name"], main["balance"], main["owner_id"]) == ("Main", "0.00", ann.id)
    assert_problem(
        await client.post(f"{API}/accounts", json={"name": "Main"}, headers=ann.auth), 409, "already-exists"
    )
    assert_problem(
        await client.post(f"{API}/accounts", json={"balance": "5"}, headers=ann.auth), 422, "validation-error"
    )
    assert_problem(await deposit(client, ann, main["id"], "5"), 403, "forbidden")
    assert_problem(await deposit(client, root, 999_999, "5"), 404, "not-found")
    for bad in ("0", "-1", "1.001", "99999999999"):
        assert_problem(await deposit(client, root, main["id"], bad), 422, "validation-error")
    entry = await deposit(client, root, main["id"], "12.50")
    assert entry.status_code == 201
    assert {k: entry.json()[k] for k in ("kind", "amount", "balance_after", "transfer_id")} == {
        "kind": "deposit", "amount": "12.50", "balance_after": "12.50", "transfer_id": None,
    }  # fmt: skip
    read = await client.get(f"{API}/accounts/{main['id']}", headers=ann.auth)
    assert read.status_code == 200 and read.json()["balance"] == "12.50"
    assert_problem(await client.get(f"{API}/accounts/{main['id']}", headers=bob.auth), 404, "not-found")
    assert (await client.get(f"{API}/accounts/{main['id']}", headers=root.auth)).status_code == 200
    assert_problem(await client.get(f"{API}/accounts/{main['id']}"), 401, "unauthorized")
    mine = (await client.get(f"{API}/accounts", headers=bob.auth)).json()
    assert mine["items"] == [] and mine["total"] == 0
    listed = (await client.get(f"{API}/accounts", params={"owner_id": ann.id}, headers=root.auth)).json()
    assert [a["id"] for a in listed["items"]] == [main["id"]]


async def test_transfers_and_their_errors(client, make_user) -> None:
    ann, bob = await make_user("ann"), await make_user("bob")
    root = await make_user("root", superuser=True)
    source, target = (await account(client, ann))["id"], (await account(client, bob))["id"]
    await deposit(client, root, source, "10.00")
    moved = await transfer(client, ann, source, target, "3.25")
    assert moved.status_code == 201, moved.text
    body = moved.json()
    assert (body["from_account_id"], body["to_account_id"], body["amount"]) == (source, target, "3.25")
    assert "Idempotent-Replayed" not in moved.headers
    assert_problem(await transfer(client, ann, source, target, "6.76"), 409, "insufficient-funds")
    assert_problem(await transfer(client, bob, source, target, "1"), 404, "not-found")
    assert_problem(await transfer(client, ann, 999_999, target, "1"), 404, "not-found")
    assert_problem(await transfer(client, ann, source, 999_999, "1"), 422, "validation-error")
    assert_problem(await transfer(client, ann, source, source, "1"), 422, "validation-error")
    for bad in (0, "-1", "0.001", 1e12):
        assert_problem(await transfer(client, ann, source, target, bad), 422, "validation-error")
    entries = (await client.get(f"{API}/accounts/{source}/entries", headers=ann.auth)).json()
    assert [(e["kind"], e["amount"], e["balance_after"]) for e in entries["items"]] == [
        ("transfer_out", "3.25", "6.75"),
        ("deposit", "10.00", "10.00"),
    ]
    assert entries["items"][0]["transfer_id"] == body["id"]
    assert_problem(await client.get(f"{API}/accounts/{source}/entries", headers=bob.auth), 404, "not-found")
    balances = [
        (await client.get(f"{API}/accounts/{i}", headers=root.auth)).json()["balance"]
        for i in (source, target)
    ]
    assert balances == ["6.75", "3.25"]


async def test_idempotency_keys_replay_refuse_and_are_validated(client, make_user) -> None:
    ann, bob = await make_user("ann"), await make_user("bob")
    root = await make_user("root", superuser=True)
    source, target = (await account(client, ann))["id"], (await account(client, bob))["id"]
    first_deposit = await deposit(client, root, source, "10", key="dep-1")
    replayed_deposit = await deposit(client, root, source, "10", key="dep-1")
    assert replayed_deposit.headers["idempotent-replayed"] == "true"
    assert replayed_deposit.status_code == 201 and replayed_deposit.content == first_deposit.content
    first = await transfer(client, ann, source, target, "1", key="t-1")
    again = await transfer(client, ann, source, target, "1.00", key="t-1")  # another body: reused
    assert_problem(again, 422, "idempotency-key-reused")
    replay = await transfer(client, ann, source, target, "1", key="t-1")
    assert replay.status_code == 201 and replay.content == first.content
    assert replay.headers["idempotent-replayed"] == "true"
    balance = (await client.get(f"{API}/accounts/{source}", headers=ann.auth)).json()["balance"]
    assert balance == "9.00"  # one deposit, one transfer
    for bad_key in ("", "k" * 256):
        assert_problem(await transfer(client, ann, source, target, "1", key=bad_key), 422, "validation-error")


async def test_concurrent_requests_with_one_key_make_one_transfer(client, make_user, db) -> None:
    ann, bob = await make_user("ann"), await make_user("bob")
    root = await make_user("root", superuser=True)
    source, target = (await account(client, ann))["id"], (await account(client, bob))["id"]
    await deposit(client, root, source, "100")
    answers = await asyncio.gather(
        *(transfer(client, ann, source, target, "5", key="same") for _ in range(20))
    )
    created = [a for a in answers if a.status_code == 201]
    assert all(a.status_code in (201, 409) for a in answers), [a.status_code for a in answers]
    assert len({a.content for a in created}) == 1
    assert (await client.get(f"{API}/accounts/{source}", headers=ann.auth)).json()["balance"] == "95.00"


async def test_a_user_holding_an_account_cannot_be_hard_deleted(client, make_user) -> None:
    ann = await make_user("ann")
    root = await make_user("root", superuser=True)
    await account(client, ann)
    refused = await client.delete(f"{API}/users/{ann.id}", params={"hard": "true"}, headers=root.auth)
    body = assert_problem(refused, 409, "conflict")
    assert "accounts" in body["detail"]
    assert (await client.get(f"{API}/users/{ann.id}")).status_code == 200


@pytest.mark.parametrize("path", ["/accounts/abc", "/accounts/0", f"/accounts/{2**63}"])
async def test_bad_account_ids(client, make_user, path: str) -> None:
    ann = await make_user("ann")
    response = await client.get(API + path, headers=ann.auth)
    assert response.status_code in (404, 422)


async def test_statements_per_transfer(client, make_user, count_statements) -> None:
    ann, bob = await make_user("ann"), await make_user("bob")
    root = await make_user("root", superuser=True)
    source, target = (await account(client, ann))["id"], (await account(client, bob))["id"]
    await deposit(client, root, source, "100")
    with count_statements() as plain:
        assert (await transfer(client, ann, source, target, "1")).status_code == 201
    with count_statements() as keyed:
        assert (await transfer(client, ann, source, target, "1", key="count-me")).status_code == 201
    # the caller (token check); lock both accounts; insert the transfer; both balances (one
    # executemany); both entries (one INSERT); BEGIN and COMMIT are protocol messages, not counted.
    # A key adds its claim and its completion.
    assert plain.count == 5, plain.statements
    assert keyed.count == 7, keyed.statements
