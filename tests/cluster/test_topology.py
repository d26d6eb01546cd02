"""Bazaar unchanged behind HAProxy, over PgBouncer in transaction mode, with a read replica
(issue 19): the bank test through the whole topology while one Bazaar process is killed and
restarted, and reads through the replica (eventually consistent for others, read-your-writes for
the writer, the primary when the replica is gone)."""

from __future__ import annotations

import asyncio
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest

from tests.cluster.conftest import Cluster

ACCOUNTS = 20
OPENING = Decimal("500.00")
CLIENTS = 16
PER_CLIENT = 64  # 1,024 transfers in all
# Answers after which the client sends the same request again with the same key: the process
# behind the balancer went away (502/503/504, or the connection broke), or the key's first
# request is still in flight (409 idempotency-key-in-use).
RETRY_STATUSES = {502, 503, 504}
FINAL_STATUSES = {201, 409}


async def login(http: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    answer = await http.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@dataclass
class Ledger:
    """What the clients believe happened: each intended transfer's key and its final answer."""

    outcomes: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    statuses: list[int] = field(default_factory=list)
    retries: int = 0
    broken_connections: int = 0

    @property
    def done(self) -> int:
        return len(self.outcomes)


async def send_once_in_effect(
    http: httpx.AsyncClient, auth: dict[str, str], body: dict[str, Any], book: Ledger
) -> None:
    """POST /transfers with one Idempotency-Key, again and again with the same key until the
    answer is final (bounded): the effect must happen exactly once whatever was lost on the way."""
    key = uuid.uuid4().hex
    headers = {**auth, "Idempotency-Key": key}
    for _attempt in range(60):
        try:
            answer = await http.post("/api/v1/transfers", json=body, headers=headers)
        except httpx.TransportError:
            book.broken_connections += 1
            book.retries += 1
            await asyncio.sleep(0.2)
            continue
        book.statuses.append(answer.status_code)
        payload = answer.json()
        in_use = answer.status_code == 409 and payload.get("type", "").endswith("idempotency-key-in-use")
        if answer.status_code in RETRY_STATUSES or in_use:
            book.retries += 1
            await asyncio.sleep(0.2)
            continue
        assert answer.status_code in FINAL_STATUSES, (answer.status_code, payload)
        if answer.status_code == 409:
            assert payload["type"].endswith("insufficient-funds"), payload
        book.outcomes[key] = (answer.status_code, payload)
        return
    pytest.fail(f"transfer {body} with key {key} never got a final answer")


async def test_bank_through_the_balancer_survives_a_killed_process(cluster: Cluster) -> None:
    name = f"root{uuid.uuid4().hex[:8]}"
    password = "cluster-root-password-1"
    made = cluster.bazaar(
        "create-superuser", "--email", f"{name}@example.com", "--username", name, BAZAAR_PASSWORD=password
    )
    assert made.returncode == 0, made.stderr
    timeout = httpx.Timeout(30)
    async with httpx.AsyncClient(base_url=cluster.lb, timeout=timeout) as http:
        auth = await login(http, name, password)
        accounts = []
        for i in range(ACCOUNTS):
            opened = await http.post("/api/v1/accounts", json={"name": f"bank {i}"}, headers=auth)
            assert opened.status_code == 201, opened.text
            account = opened.json()["id"]
            deposit = await http.post(
                f"/api/v1/accounts/{account}/deposits",
                json={"amount": str(OPENING)},
                headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
            )
            assert deposit.status_code == 201, deposit.text
            accounts.append(account)

    book = Ledger()
    rng = random.Random(20261202)
    plans = [
        [
            {
                "from_account_id": a,
                "to_account_id": b,
                "amount": f"{rng.randint(1, 150)}.{rng.randint(0, 99):02d}",
            }
            for a, b in (rng.sample(accounts, 2) for _ in range(PER_CLIENT))
        ]
        for _ in range(CLIENTS)
    ]
    # Fewer pooled connections than clients, so requests queue at the balancer and some are in
    # flight on the process when it dies.
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)

    async def client(plan: list[dict[str, Any]]) -> None:
        async with httpx.AsyncClient(base_url=cluster.lb, timeout=timeout, limits=limits) as http:
            for body in plan:
                await send_once_in_effect(http, auth, body, book)

    async def chaos() -> None:
        total = CLIENTS * PER_CLIENT
        while book.done < total * 0.3:
            await asyncio.sleep(0.05)
        await asyncio.to_thread(cluster.part, "stop", "app1")  # SIGKILL, the whole process group
        while book.done < total * 0.7:
            await asyncio.sleep(0.05)
        await asyncio.to_thread(cluster.part, "start", "app1")

    started = time.monotonic()
    await asyncio.gather(chaos(), *(client(plan) for plan in plans))
    seconds = time.monotonic() - started

    assert 500 not in book.statuses
    succeeded = {payload["id"] for status, payload in book.outcomes.values() if status == 201}
    rejected = sum(1 for status, _ in book.outcomes.values() if status == 409)
    assert len(book.outcomes) == CLIENTS * PER_CLIENT
    conn = await asyncpg.connect(cluster.primary_dsn)
    try:
        stored = {
            row["id"]
            for row in await conn.fetch(
                "SELECT id FROM transfers WHERE from_account_id = ANY($1::bigint[])", accounts
            )
        }
        balances = [
            r["balance"]
            for r in await conn.fetch("SELECT balance FROM accounts WHERE id = ANY($1::bigint[])", accounts)
        ]
    finally:
        await conn.close()
    # Every intended transfer took effect exactly once: the client's record is the ledger.
    assert stored == succeeded
    assert min(balances) >= 0
    assert sum(balances) == OPENING * ACCOUNTS
    verify = cluster.bazaar("ledger", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    print(
        f"\nbank through HAProxy -> 2 processes -> PgBouncer: {len(book.outcomes)} transfers"
        f" in {seconds:.1f} s,"
        f" {len(succeeded)} done, {rejected} refused (insufficient funds), {book.retries} retries"
        f" ({book.broken_connections} broken connections), 1 process killed and restarted;"
        f" statuses {sorted(set(book.statuses))}; ledger verify: ok"
    )


async def fallbacks(cluster: Cluster) -> float:
    """``db_read_fallbacks_total`` summed over every process (each exposes its own workers')."""
    total = 0.0
    async with httpx.AsyncClient(timeout=10) as http:
        for url in cluster.app_urls:
            text = (await http.get(f"{url}/metrics")).text
            total += sum(
                float(v) for v in re.findall(r"^db_read_fallbacks_total(?:\{[^}]*\})? (\S+)$", text, re.M)
            )
    return total


async def test_reads_go_to_the_replica_and_fall_back_to_the_primary(cluster: Cluster) -> None:
    name = f"reader{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=cluster.lb, timeout=30) as http:
        signup = {"email": f"{name}@example.com", "username": name, "password": "reader-password-1"}
        assert (await http.post("/api/v1/users", json=signup)).status_code == 201
        auth = await login(http, name, "reader-password-1")
        before = await fallbacks(cluster)

        title = f"replicated {uuid.uuid4().hex[:8]}"
        created = await http.post("/api/v1/items", json={"title": title, "price": "3.50"}, headers=auth)
        # The writer's own answer is read from the primary: it shows the write at once.
        assert created.status_code == 201 and created.json()["title"] == title
        # Others read the replica: the item appears there within a bounded wait.
        deadline = time.monotonic() + 10
        while True:
            listed = await http.get("/api/v1/items", params={"q": title})
            assert listed.status_code == 200
            if listed.json()["total"] == 1:
                break
            assert time.monotonic() < deadline, "the replica never showed the write"
            await asyncio.sleep(0.05)
        assert await fallbacks(cluster) == before  # the replica answered every read

        cluster.part("stop", "replica")
        try:
            for _ in range(6):  # each process, each worker: all fall back
                listed = await http.get("/api/v1/items", params={"q": title})
                assert listed.status_code == 200 and listed.json()["total"] == 1
            assert await fallbacks(cluster) > before
            # Writes never needed the replica.
            other = await http.post(
                "/api/v1/items", json={"title": title + " 2", "price": "1.00"}, headers=auth
            )
            assert other.status_code == 201
        finally:
            cluster.part("start", "replica")
