"""Races on real servers (PostgreSQL and MariaDB), through the use cases as the HTTP layer calls
them: two payments of one order pay once; a payment racing the buyer's cancellation ends either
paid-then-refunded or cancelled-unpaid; transfers between the same accounts run meanwhile. No
race escapes as an error, no money is lost or created, and ``bazaar ledger verify`` passes."""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from application import catalog, ledger, ordering
from application.common import Actor
from application.idempotency import Idempotency, StoredResponse
from application.pagination import PageParams
from domain.errors import InvalidTransition
from domain.identity import User
from domain.ordering import OrderStatus
from tests.conftest import build_container
from tests.integration.test_bank import verify_with_the_cli

ROOT = Actor(0, is_superuser=True)
ANSWER: Idempotency[object] = Idempotency(lambda view: StoredResponse(200, "{}"))
ORDERS = 12


async def market(container: Any) -> tuple[Actor, Actor, int, int, list[int]]:
    """A buyer with 1000.00, a seller with an account, and ``ORDERS`` pending orders of 7.77."""
    now = container.core.clock().now()
    async with container.core.uow()() as uow:
        buyer = await uow.users.add(User("buyer@x.io", "buyer", "h", created_at=now, updated_at=now))
        seller = await uow.users.add(User("seller@x.io", "seller", "h", created_at=now, updated_at=now))
        await uow.commit()
    assert buyer.id is not None and seller.id is not None
    ann, bob = Actor(buyer.id), Actor(seller.id)
    source = (await container.ledger.open_account()(ann, ledger.OpenAccountCommand())).id
    target = (await container.ledger.open_account()(bob, ledger.OpenAccountCommand())).id
    await container.ledger.deposit()(ROOT, source, ledger.DepositCommand("1000.00"), ANSWER)
    lamp = await container.catalog.create_item()(bob, catalog.CreateItemCommand(title="Lamp", price="7.77"))
    place = container.ordering.place_order()
    cmd = ordering.PlaceOrderCommand([ordering.OrderLineCommand(lamp.id, 1)])
    for _ in range(ORDERS):
        await place(ann, cmd, ANSWER)
    page = PageParams("created_at", limit=100)
    listed = await container.ordering.list_orders()(ann, ordering.ListOrdersQuery(), page)
    return ann, bob, source, target, [view.id for view in listed.items]


async def attempt(call: Any) -> str:
    try:
        await call
    except InvalidTransition:
        return "refused"
    return "done"


async def shuffle_money(container: Any, ann: Actor, bob: Actor, source: int, target: int) -> None:
    """Transfers both ways between the buyer's and the seller's accounts, meanwhile."""
    transfer = container.ledger.transfer()
    for n in range(6):
        forth = ledger.TransferCommand(source, target, Decimal("0.50"))
        back = ledger.TransferCommand(target, source, Decimal("0.50"))
        await transfer(ann if n % 2 == 0 else bob, forth if n % 2 == 0 else back, ANSWER)


@pytest.fixture(params=["postgres", "mariadb"])
def server(request: pytest.FixtureRequest) -> tuple[AsyncEngine, str]:
    engine_fixture, url_fixture = (
        ("pg_db", "pg_url") if request.param == "postgres" else ("mariadb_db", "mariadb_url")
    )
    return request.getfixturevalue(engine_fixture), request.getfixturevalue(url_fixture)


async def test_two_payments_of_one_order_pay_once(server: tuple[AsyncEngine, str], monkeypatch) -> None:
    engine, url = server
    container = build_container(engine)
    ann, bob, source, target, orders = await market(container)
    pay = container.ordering.pay_order()
    cmd = ordering.PayOrderCommand(source)
    outcomes: Counter[str] = Counter()
    for order_id in orders:
        both = await asyncio.gather(
            attempt(pay(ann, order_id, cmd, ANSWER)),
            attempt(pay(ann, order_id, cmd, ANSWER)),
            shuffle_money(container, ann, bob, source, target),
        )
        assert sorted(both[:2]) == ["done", "refused"], both
        outcomes.update(both[:2])
    assert outcomes == {"done": ORDERS, "refused": ORDERS}
    account = await container.ledger.get_account()(ann, source)
    assert account.balance == Decimal("1000.00") - ORDERS * Decimal("7.77")
    report = await container.ledger.verify()()
    assert report.ok and report.orders == ORDERS, report.problems
    assert "every invariant holds" in await asyncio.to_thread(verify_with_the_cli, url, monkeypatch)


async def test_a_payment_racing_a_cancellation(server: tuple[AsyncEngine, str], monkeypatch) -> None:
    engine, url = server
    container = build_container(engine)
    ann, bob, source, target, orders = await market(container)
    pay = container.ordering.pay_order()
    change = container.ordering.change_order_status()
    cmd = ordering.PayOrderCommand(source)
    seen: Counter[str] = Counter()
    for n, order_id in enumerate(orders):
        calls = [attempt(pay(ann, order_id, cmd, ANSWER)), attempt(change(ann, order_id, "cancelled"))]
        paid, cancelled = await _race(calls, n, container, ann, bob, source, target)
        view = await container.ordering.get_order()(ann, order_id)
        assert cancelled == "done" and view.status is OrderStatus.CANCELLED
        if paid == "done":
            assert view.paid_from_account_id == source
            seen["paid-then-refunded"] += 1
        else:
            assert view.paid_from_account_id is None
            seen["cancelled-unpaid"] += 1
    print("race outcomes", dict(seen))
    assert sum(seen.values()) == ORDERS
    account = await container.ledger.get_account()(ann, source)
    assert account.balance == Decimal("1000.00")  # every payment came back
    report = await container.ledger.verify()()
    assert report.ok and report.orders == ORDERS, report.problems
    assert "every invariant holds" in await asyncio.to_thread(verify_with_the_cli, url, monkeypatch)


async def _race(calls: list[Any], n: int, container: Any, ann: Actor, bob: Actor, source: int, target: int):
    """Runs the payment and the cancellation at once (started in alternating order), with
    transfers meanwhile; returns their outcomes as (payment, cancellation)."""
    started = calls if n % 2 == 0 else list(reversed(calls))
    results = await asyncio.gather(*started, shuffle_money(container, ann, bob, source, target))
    first, second = results[0], results[1]
    return (first, second) if n % 2 == 0 else (second, first)
