"""Ledger repository, idempotency and query contract: fakes, SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from application.idempotency import IdempotentRequest, StoredResponse
from application.ledger.views import AccountFilter
from application.pagination import PageRequest, Sort
from domain.errors import AlreadyExists, Conflict
from domain.ledger import Account, Entry, EntryKind, Transfer
from tests.integration.conftest import Backend

T0 = datetime(2026, 1, 1, tzinfo=UTC)


async def open_accounts(backend: Backend, owner: int, *names: str) -> list[int]:
    async with backend.uow() as uow:
        stored = [await uow.accounts.add(Account(owner, name, created_at=T0)) for name in names]
        await uow.commit()
    return [a.id for a in stored if a.id is not None]


async def test_accounts_lock_and_balances(backend: Backend) -> None:
    owner = await backend.user("ann")
    a, b = await open_accounts(backend, owner, "A", "B")
    async with backend.uow() as uow:
        locked = await uow.accounts.lock([b, a, 999_999, a])
        assert sorted(locked) == [a, b] and locked[a].balance == Decimal("0.00")
        locked[a].deposit(Decimal("12.34"))
        locked[b].deposit(Decimal("0.01"))
        await uow.accounts.save_balances([locked[a], locked[b]])
        await uow.commit()
    view = await backend.ledger.account(a)
    assert view is not None and (view.balance, view.name, view.owner_id) == (Decimal("12.34"), "A", owner)
    assert await backend.ledger.account(999_999) is None
    with pytest.raises(AlreadyExists) as taken:
        await open_accounts(backend, owner, "A")
    assert (taken.value.entity, taken.value.field) == ("Account", "name")


async def test_a_negative_balance_is_refused_by_the_store(backend: Backend) -> None:
    owner = await backend.user("ann")
    (a,) = await open_accounts(backend, owner, "A")
    with pytest.raises(Conflict):
        async with backend.uow() as uow:
            account = (await uow.accounts.lock([a]))[a]
            account.balance = Decimal("-1.00")  # past the domain: the CHECK constraint holds
            await uow.accounts.save_balances([account])
            await uow.commit()
    assert (await backend.ledger.account(a)).balance == Decimal("0.00")  # type: ignore[union-attr]


async def test_transfers_entries_pages_and_verification(backend: Backend) -> None:
    owner = await backend.user("ann")
    a, b = await open_accounts(backend, owner, "A", "B")
    async with backend.uow() as uow:
        locked = await uow.accounts.lock([a, b])
        after = locked[a].deposit(Decimal("10.00"))
        await uow.entries.add([Entry(a, EntryKind.DEPOSIT, Decimal("10.00"), after, T0)])
        moved = await uow.transfers.add(
            Transfer.between(locked[a], locked[b], Decimal("3.50"), T0 + timedelta(1))
        )
        assert moved.id is not None
        stored = await uow.entries.add(
            [
                Entry(
                    a, EntryKind.TRANSFER_OUT, Decimal("3.50"), locked[a].balance, T0 + timedelta(1), moved.id
                ),
                Entry(
                    b, EntryKind.TRANSFER_IN, Decimal("3.50"), locked[b].balance, T0 + timedelta(1), moved.id
                ),
            ]
        )
        assert [e.account_id for e in stored] == [a, b] and stored[0].id != stored[1].id
        await uow.accounts.save_balances(list(locked.values()))
        await uow.commit()
    newest = await backend.ledger.entries(a, PageRequest(Sort("created_at", descending=True), limit=10))
    assert [(e.kind, e.amount, e.balance_after) for e in newest.items] == [
        (EntryKind.TRANSFER_OUT, Decimal("3.50"), Decimal("6.50")),
        (EntryKind.DEPOSIT, Decimal("10.00"), Decimal("10.00")),
    ]
    assert newest.items[0].transfer_id == moved.id and newest.items[1].transfer_id is None
    accounts = await backend.ledger.accounts(
        AccountFilter(owner_id=owner), PageRequest(Sort("balance"), limit=10)
    )
    assert [(v.id, v.balance) for v in accounts.items] == [(b, Decimal("3.50")), (a, Decimal("6.50"))]
    report = await backend.ledger.verify()
    assert report.problems == [] and (report.accounts, report.entries, report.transfers) == (2, 3, 1)
    assert report.total_balance == report.total_deposits == Decimal("10.00")


async def test_verification_finds_money_from_nowhere(backend: Backend) -> None:
    owner = await backend.user("ann")
    (a,) = await open_accounts(backend, owner, "A")
    async with backend.uow() as uow:
        account = (await uow.accounts.lock([a]))[a]
        account.deposit(Decimal("5.00"))  # a balance without its entry
        await uow.accounts.save_balances([account])
        await uow.commit()
    problems = (await backend.ledger.verify()).problems
    assert f"account {a}: balance 5.00 but its entries sum to 0.00" in problems
    assert "total of balances 5.00 differs from total deposits 0.00" in problems


async def test_a_user_holding_accounts_cannot_be_hard_deleted(backend: Backend) -> None:
    owner = await backend.user("ann")
    await open_accounts(backend, owner, "A")
    with pytest.raises(Conflict) as refused:
        async with backend.uow() as uow:
            await uow.users.delete(owner)
            await uow.commit()
    if backend.name == "sqlite":  # SQLite names no constraint: every RESTRICT referrer of users is listed
        assert refused.value.detail.startswith("User is still referenced by their accounts and ")
    else:
        assert refused.value.detail == "User is still referenced by their accounts; it cannot be deleted"
    assert await backend.users.private_view(owner) is not None


async def test_idempotency_keys_claim_complete_and_purge(backend: Backend) -> None:
    owner = await backend.user("ann")
    first = IdempotentRequest(owner, "key-1", "fingerprint")
    async with backend.uow() as uow:
        assert await uow.idempotency.claim(first, T0) is None
        await uow.idempotency.complete(first, StoredResponse(201, '{"id":1}'))
        await uow.commit()
    async with backend.uow() as uow:  # rolled back: claimed, never committed
        assert await uow.idempotency.claim(IdempotentRequest(owner, "key-2", "f"), T0) is None
    async with backend.uow() as uow:
        record = await uow.idempotency.claim(IdempotentRequest(owner, "key-1", "other"), T0)
        assert record is not None and record.fingerprint == "fingerprint"
        assert record.response == StoredResponse(201, '{"id":1}')
        assert await uow.idempotency.claim(IdempotentRequest(owner, "key-2", "f"), T0) is None  # free again
        await uow.commit()
    async with backend.uow() as uow:
        record = await uow.idempotency.claim(IdempotentRequest(owner, "key-2", "f"), T0)
        assert record is not None and record.response is None  # claimed, not completed
        assert await uow.idempotency.purge(T0 + timedelta(seconds=1)) == 2
        await uow.commit()
