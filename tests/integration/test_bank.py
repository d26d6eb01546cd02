"""The bank test: many concurrent workers move money at random between a few accounts, with
transfers in opposite directions between the same pairs and many overdrafts. No deadlock or
serialization failure escapes, no balance goes negative, the total is conserved, every
successful transfer has exactly its two entries, rejected ones leave nothing, and
``bazaar ledger verify`` passes afterwards. PostgreSQL with 8 workers; SQLite at the concurrency
it supports (its writers take turns)."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from application import ledger
from application.common import Actor
from application.idempotency import Idempotency, StoredResponse
from domain.errors import InsufficientFunds
from domain.identity import User
from infrastructure.persistence.models import AccountRow, EntryRow, TransferRow
from interfaces.cli import app as cli
from tests.conftest import build_container

ACCOUNTS = 20
START = Decimal("100.00")
ROOT = Actor(0, is_superuser=True)
ANSWER: Idempotency[object] = Idempotency(lambda view: StoredResponse(201, "{}"))


async def open_bank(container) -> list[int]:
    uow_factory = container.core.uow()
    now = container.core.clock().now()
    async with uow_factory() as uow:
        owners = [
            await uow.users.add(User(f"owner{i}@x.io", f"owner{i}", "h", created_at=now, updated_at=now))
            for i in range(5)
        ]
        await uow.commit()
    ids = []
    for n in range(ACCOUNTS):
        owner = owners[n % len(owners)]
        assert owner.id is not None
        view = await container.ledger.open_account()(Actor(owner.id), ledger.OpenAccountCommand(f"acct{n}"))
        await container.ledger.deposit()(ROOT, view.id, ledger.DepositCommand(START), ANSWER)
        ids.append(view.id)
    return ids


async def run_bank(engine: AsyncEngine, workers: int, transfers: int, seed: int) -> Counter[str]:
    container = build_container(engine)
    accounts = await open_bank(container)
    transfer = container.ledger.transfer()
    rng = random.Random(seed)
    pairs = [(rng.choice(accounts), rng.choice(accounts)) for _ in range(8)]  # hot pairs, both ways
    plan = []
    for n in range(transfers):
        if n % 3 == 0:
            a, b = rng.choice(pairs)
            source, target = (a, b) if n % 2 else (b, a)
        else:
            source, target = rng.sample(accounts, 2)
        if source == target:
            target = accounts[(accounts.index(source) + 1) % len(accounts)]
        amount = Decimal(rng.choice(["0.01", "1.00", "7.77", "25.00", "60.00", "150.00"]))  # 150: overdraft
        plan.append(ledger.TransferCommand(source, target, amount))
    outcome: Counter[str] = Counter()
    queue: asyncio.Queue[ledger.TransferCommand] = asyncio.Queue()
    for cmd in plan:
        queue.put_nowait(cmd)

    async def worker() -> None:
        while not queue.empty():
            cmd = queue.get_nowait()
            try:
                await transfer(ROOT, cmd, ANSWER)
            except InsufficientFunds:
                outcome["rejected"] += 1
            else:
                outcome["done"] += 1

    await asyncio.gather(*(worker() for _ in range(workers)))  # anything else escaping fails the test
    async with engine.connect() as conn:
        balances = [Decimal(b) for b in (await conn.execute(select(AccountRow.balance))).scalars()]
        entries = int(await conn.scalar(select(func.count()).select_from(EntryRow)) or 0)
        moved = int(await conn.scalar(select(func.count()).select_from(TransferRow)) or 0)
        per_transfer = Counter(
            (
                await conn.execute(select(EntryRow.transfer_id).where(EntryRow.transfer_id.is_not(None)))
            ).scalars()
        )
    assert outcome["done"] + outcome["rejected"] == transfers
    assert min(balances) >= 0
    assert sum(balances) == START * ACCOUNTS  # conserved
    assert moved == outcome["done"] and entries == ACCOUNTS + 2 * outcome["done"]
    assert set(per_transfer.values()) <= {2} and len(per_transfer) == moved
    report = await container.ledger.verify()()
    assert report.ok, report.problems
    return outcome


def verify_with_the_cli(url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "bank-test-secret")
    result = CliRunner().invoke(cli, ["ledger", "verify"])
    assert result.exit_code == 0, result.output
    return result.output


async def test_bank_on_postgresql(db: AsyncEngine, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    outcome = await run_bank(db, workers=8, transfers=1000, seed=7)
    assert outcome["done"] > 300 and outcome["rejected"] > 50  # both paths exercised
    output = await asyncio.to_thread(verify_with_the_cli, pg_url, monkeypatch)
    assert f"{ACCOUNTS} accounts" in output and "every invariant holds" in output


async def test_bank_on_sqlite(
    sqlite_db: AsyncEngine, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome = await run_bank(sqlite_db, workers=4, transfers=300, seed=11)
    assert outcome["done"] > 100 and outcome["rejected"] > 10
    output = await asyncio.to_thread(verify_with_the_cli, sqlite_url, monkeypatch)
    assert "every invariant holds" in output


async def test_verify_exits_non_zero_on_a_mismatch(
    db: AsyncEngine, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    container = build_container(db)
    (account, *_) = await open_bank(container)
    async with db.begin() as conn:
        await conn.execute(
            AccountRow.__table__.update().where(AccountRow.id == account).values(balance=Decimal("1"))
        )
    monkeypatch.setenv("DATABASE_URL", pg_url)
    monkeypatch.setenv("SECRET_KEY", "bank-test-secret")
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["ledger", "verify"])
    assert result.exit_code == 1
    assert f"MISMATCH account {account}: balance 1.00 but its entries sum to 100.00" in result.output


async def test_bank_on_mariadb(
    mariadb_db: AsyncEngine, mariadb_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome = await run_bank(mariadb_db, workers=8, transfers=1000, seed=13)
    assert outcome["done"] > 300 and outcome["rejected"] > 50
    output = await asyncio.to_thread(verify_with_the_cli, mariadb_url, monkeypatch)
    assert "every invariant holds" in output
