"""The bank test through HTTP, against a real ``bazaar serve --workers 2`` on PostgreSQL: 16
concurrent clients transfer at random (opposite directions, overdrafts), each request with its
own ``Idempotency-Key``; then 20 concurrent requests with one key make exactly one transfer and
answer it 20 times (or say it is in use). Nothing answers 500, the total is conserved, no
balance is negative, and ``bazaar ledger verify`` passes."""

from __future__ import annotations

import asyncio
import random
import uuid
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from interfaces.cli import app as cli
from tests.serving import serve

API = "/api/v1"
ACCOUNTS = 10
START = Decimal("50.00")
Auth = dict[str, str]


async def login(http: httpx.AsyncClient, name: str, dsn: str, *, superuser: bool = False) -> Auth:
    body = {"email": f"{name}@example.com", "username": name, "password": "password-123"}
    assert (await http.post(f"{API}/users", json=body)).status_code == 201
    if superuser:  # the API has no self-promotion: the operator's way, through the database
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("UPDATE users SET is_superuser = true WHERE username = $1", name)
        finally:
            await conn.close()
    token = await http.post(f"{API}/auth/token", data={"username": name, "password": "password-123"})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def balance(http: httpx.AsyncClient, root: Auth, account_id: int) -> Decimal:
    return Decimal((await http.get(f"{API}/accounts/{account_id}", headers=root)).json()["balance"])


async def count_transfers(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM transfers"))
    finally:
        await conn.close()


async def drive(base_url: str, dsn: str, clients: int, transfers: int) -> dict[int, int]:
    limits = httpx.Limits(max_connections=clients + 4)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as http:
        root = await login(http, "root", dsn, superuser=True)
        users = [await login(http, f"user{n}", dsn) for n in range(5)]
        accounts: list[tuple[Auth, int]] = []
        for n in range(ACCOUNTS):
            auth = users[n % len(users)]
            created = await http.post(f"{API}/accounts", json={"name": f"a{n}"}, headers=auth)
            assert created.status_code == 201, created.text
            account_id = created.json()["id"]
            url = f"{API}/accounts/{account_id}/deposits"
            funded = await http.post(url, json={"amount": str(START)}, headers=root)
            assert funded.status_code == 201, funded.text
            accounts.append((auth, account_id))

        rng = random.Random(5)
        queue: asyncio.Queue[tuple[Auth, int, int, str]] = asyncio.Queue()
        for _ in range(transfers):
            (auth, source), (_, target) = rng.sample(accounts, 2)
            queue.put_nowait((auth, source, target, rng.choice(["0.50", "3.00", "20.00", "80.00"])))
        statuses: dict[int, int] = {}

        async def client() -> None:
            while not queue.empty():
                auth, source, target, amount = queue.get_nowait()
                body = {"from_account_id": source, "to_account_id": target, "amount": amount}
                headers = {**auth, "Idempotency-Key": uuid.uuid4().hex}
                response = await http.post(f"{API}/transfers", json=body, headers=headers)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        await asyncio.gather(*(client() for _ in range(clients)))

        balances = {a: await balance(http, root, a) for _, a in accounts}
        auth, source = next(acc for acc in accounts if balances[acc[1]] > 0)
        target = next(a for _, a in accounts if a != source)
        body = {"from_account_id": source, "to_account_id": target, "amount": "0.01"}
        same = {**auth, "Idempotency-Key": "one-key"}
        before = await count_transfers(dsn)
        answers = await asyncio.gather(
            *[http.post(f"{API}/transfers", json=body, headers=same) for _ in range(20)]
        )
        codes = sorted(a.status_code for a in answers)
        assert set(codes) <= {201, 409} and 201 in codes, codes
        assert len({a.content for a in answers if a.status_code == 201}) == 1  # the one answer, replayed
        assert await count_transfers(dsn) == before + 1

        final = [await balance(http, root, a) for _, a in accounts]
        assert min(final) >= 0 and sum(final) == START * ACCOUNTS
        return statuses


def test_bank_through_http_on_two_workers(
    db: AsyncEngine, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sync on purpose: ``serve`` migrates with Alembic's own event loop."""
    env = {"DATABASE_URL": pg_url, "ENVIRONMENT": "development"}
    dsn = pg_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    with serve(tmp_path, "--workers", "2", env=env) as server:
        statuses = asyncio.run(drive(server.base_url, dsn, clients=16, transfers=400))
    assert set(statuses) <= {201, 409}, statuses  # never a 500, never a lost race escaping
    assert statuses.get(201, 0) > 100 and statuses.get(409, 0) > 10  # transfers and overdrafts
    monkeypatch.setenv("DATABASE_URL", pg_url)
    monkeypatch.setenv("SECRET_KEY", "bank-test-secret")
    result = CliRunner().invoke(cli, ["ledger", "verify"])
    assert result.exit_code == 0, result.output
