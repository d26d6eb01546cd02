"""Order repository and order query contract, with the ledger ports ordering uses (the oldest
account of each seller, the entries of an order) and the per-order verification: fakes, SQLite,
PostgreSQL and MariaDB alike."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from application import ledger
from application.common import Actor
from application.idempotency import Idempotency, StoredResponse
from application.ordering import OrderLineCommand, PayOrderCommand, PlaceOrderCommand
from application.ordering.views import OrderFilter, OrderLineView
from application.pagination import PageRequest, Sort
from domain.errors import Conflict
from domain.ledger import Account, Entry, EntryKind
from domain.ordering import Order, OrderLine, OrderStatus
from tests.integration.conftest import Backend
from tests.integration.test_catalog_repo import new_item, store

ANSWER: Idempotency[object] = Idempotency(lambda view: StoredResponse(200, "{}"))
NEWEST = PageRequest(Sort("created_at", descending=True), limit=10)


async def test_an_order_and_its_lines_round_trip(backend: Backend) -> None:
    buyer, seller = await backend.user("ann"), await backend.user("bob")
    lamp, desk = await store(
        backend, new_item(backend, seller, "Lamp", "19.90"), new_item(backend, seller, "Desk", "0.05")
    )
    now = backend.clock.now()
    async with backend.uow() as uow:
        order = await uow.orders.add(Order.open(buyer, now))
        assert order.id is not None
        first = await uow.orders.add_line(order.id, OrderLine(lamp, seller, "Lamp", 3, Decimal("19.90")))
        second = await uow.orders.add_line(order.id, OrderLine(desk, seller, "Desk", 1000, Decimal("0.05")))
        assert first.id is not None and second.id is not None and first.id < second.id
        order.add(first)
        order.add(second)
        await uow.orders.save(order)
        await uow.commit()
    async with backend.uow() as uow:
        locked = await uow.orders.lock(order.id)
        assert await uow.orders.lock(10**9) is None
    assert locked is not None and locked.lines == [first, second]
    assert (locked.buyer_id, locked.status, locked.total, locked.paid_from_account_id) == (
        buyer,
        OrderStatus.PENDING,
        Decimal("109.70"),
        None,
    )
    assert locked.created_at == locked.updated_at == now
    view = await backend.orders.get(order.id)
    assert view is not None and (view.id, view.buyer_id, view.total, view.status) == (
        order.id,
        buyer,
        Decimal("109.70"),
        OrderStatus.PENDING,
    )
    assert view.lines == [
        OrderLineView(lamp, seller, "Lamp", 3, Decimal("19.90"), Decimal("59.70")),
        OrderLineView(desk, seller, "Desk", 1000, Decimal("0.05"), Decimal("50.00")),
    ]
    assert (
        type(view.total) is Decimal and view.created_at == now and view.created_at.utcoffset() == timedelta(0)
    )
    assert await backend.orders.get(10**9) is None


async def test_save_writes_status_payer_total_and_time(backend: Backend) -> None:
    buyer, seller = await backend.user("ann"), await backend.user("bob")
    (lamp,) = await store(backend, new_item(backend, seller, "Lamp", "2.00"))
    order = await backend.order_of(lamp, 2, buyer=buyer)
    async with backend.uow() as uow:
        account = await uow.accounts.add(Account(buyer, "Main", created_at=backend.clock.now()))
        locked = await uow.orders.lock(order.id)  # type: ignore[arg-type]
        assert locked is not None
        locked.status, locked.paid_from_account_id = OrderStatus.SHIPPED, account.id
        locked.updated_at = backend.clock.now()
        await uow.orders.save(locked)
        await uow.commit()
    view = await backend.orders.get(locked.id)  # type: ignore[arg-type]
    assert view is not None
    assert (view.status, view.paid_from_account_id, view.total, view.updated_at) == (
        OrderStatus.SHIPPED,
        account.id,
        Decimal("4.00"),
        locked.updated_at,
    )


async def test_lines_need_an_existing_order_item_and_seller(backend: Backend) -> None:
    buyer, seller = await backend.user("ann"), await backend.user("bob")
    (lamp,) = await store(backend, new_item(backend, seller, "Lamp"))
    for order_id, line in (
        (None, OrderLine(10**9, seller, "Gone", 1, Decimal("1"))),
        (None, OrderLine(lamp, 10**9, "Lamp", 1, Decimal("1"))),
        (10**9, OrderLine(lamp, seller, "Lamp", 1, Decimal("1"))),
    ):
        with pytest.raises(Conflict):
            async with backend.uow() as uow:
                order = await uow.orders.add(Order.open(buyer, backend.clock.now()))
                await uow.orders.add_line(order_id or order.id, line)  # type: ignore[arg-type]
                await uow.commit()
    with pytest.raises(Conflict):
        async with backend.uow() as uow:
            await uow.orders.add(Order.open(10**9, backend.clock.now()))
            await uow.commit()
    assert (await backend.orders.list(OrderFilter(), NEWEST)).total == 0


async def test_lists_filter_and_page(backend: Backend) -> None:
    ann, bob, cat = await backend.user("ann"), await backend.user("bob"), await backend.user("cat")
    lamp, rug = await store(backend, new_item(backend, bob, "Lamp", "1"), new_item(backend, cat, "Rug", "2"))
    orders = []
    for buyer, item in ((ann, lamp), (ann, rug), (cat, lamp), (ann, lamp)):
        orders.append((await backend.order_of(item, buyer=buyer)).id)
        backend.clock.advance(seconds=1)
    async with backend.uow() as uow:
        shipped = await uow.orders.lock(orders[1])  # type: ignore[arg-type]
        assert shipped is not None
        shipped.status = OrderStatus.CANCELLED
        await uow.orders.save(shipped)
        await uow.commit()

    async def ids(flt: OrderFilter, page: PageRequest = NEWEST) -> list[int]:
        return [v.id for v in (await backend.orders.list(flt, page)).items]

    first, second, third, fourth = orders
    assert await ids(OrderFilter(buyer_id=ann)) == [fourth, second, first]
    assert await ids(OrderFilter(seller_id=bob)) == [fourth, third, first]
    assert await ids(OrderFilter(seller_id=cat)) == [second]
    assert await ids(OrderFilter(buyer_id=cat, seller_id=bob)) == [third]
    assert await ids(OrderFilter(status=OrderStatus.CANCELLED)) == [second]
    assert await ids(OrderFilter(buyer_id=ann, status=OrderStatus.PENDING)) == [fourth, first]
    assert await ids(OrderFilter()) == [fourth, third, second, first]
    page = await backend.orders.list(OrderFilter(buyer_id=ann), PageRequest(Sort("created_at"), limit=2))
    assert [v.id for v in page.items] == [first, second] and page.total == 3 and page.next_key is not None
    rest = await backend.orders.list(
        OrderFilter(buyer_id=ann), PageRequest(Sort("created_at"), limit=2, after=page.next_key)
    )
    assert [v.id for v in rest.items] == [fourth] and rest.total == 3 and rest.next_key is None
    skipped = await backend.orders.list(OrderFilter(), PageRequest(Sort("created_at"), limit=2, offset=3))
    assert [v.id for v in skipped.items] == [fourth] and skipped.total == 4
    assert all(len(v.lines) == 1 for v in page.items + rest.items + skipped.items)
    beyond = await backend.orders.list(OrderFilter(), PageRequest(Sort("created_at"), limit=2, offset=9))
    assert (beyond.items, beyond.total, beyond.next_key) == ([], 4, None)


async def test_ordered_items_and_their_buyers_and_sellers_stay(backend: Backend) -> None:
    ann, bob = await backend.user("ann"), await backend.user("bob")
    lamp, spare = await store(backend, new_item(backend, bob, "Lamp"), new_item(backend, bob, "Spare"))
    await backend.order_of(lamp, buyer=ann)
    with pytest.raises(Conflict) as item:
        async with backend.uow() as uow:
            await uow.items.delete(lamp)
            await uow.commit()
    assert item.value.detail.startswith("Item is still referenced by")
    if backend.name != "sqlite":  # SQLite names no constraint
        assert item.value.detail == "Item is still referenced by order lines; it cannot be deleted"
    for user in (ann, bob):
        with pytest.raises(Conflict) as refused:
            async with backend.uow() as uow:
                await uow.users.delete(user)
                await uow.commit()
        assert "is still referenced by" in refused.value.detail
    if backend.name != "sqlite":
        assert refused.value.detail.startswith(("User is still referenced", "Item is still referenced"))
    async with backend.uow() as uow:
        await uow.items.delete(spare)  # no order refers to it
        await uow.commit()
    assert await backend.items.get(lamp) is not None and await backend.users.private_view(ann) is not None


# --- the ledger ports ordering uses ---------------------------------------------------------------


async def test_the_oldest_account_of_each_owner(backend: Backend) -> None:
    ann, bob, cat = await backend.user("ann"), await backend.user("bob"), await backend.user("cat")
    t = backend.clock.now()
    async with backend.uow() as uow:
        newer = await uow.accounts.add(Account(ann, "Newer", created_at=t + timedelta(seconds=5)))
        oldest = await uow.accounts.add(Account(ann, "Oldest", created_at=t))
        tie_first = await uow.accounts.add(Account(bob, "B1", created_at=t))
        await uow.accounts.add(Account(bob, "B2", created_at=t))
        await uow.commit()
    async with backend.uow() as uow:
        found = await uow.accounts.oldest_of([bob, ann, cat, ann])
        assert await uow.accounts.oldest_of([]) == {}
    assert found == {ann: oldest.id, bob: tie_first.id} and newer.id != oldest.id


async def test_entries_name_an_existing_order(backend: Backend) -> None:
    ann, bob = await backend.user("ann"), await backend.user("bob")
    (lamp,) = await store(backend, new_item(backend, bob, "Lamp", "3"))
    order = await backend.order_of(lamp, buyer=ann)
    t = backend.clock.now()
    async with backend.uow() as uow:
        account = await uow.accounts.add(Account(ann, "Main", created_at=t))
        assert account.id is not None
        stored = await uow.entries.add(
            [
                Entry(account.id, EntryKind.DEPOSIT, Decimal("5.00"), Decimal("5.00"), t),
                Entry(
                    account.id, EntryKind.PAYMENT_OUT, Decimal("3.00"), Decimal("2.00"), t, order_id=order.id
                ),
                Entry(
                    account.id, EntryKind.REFUND_IN, Decimal("3.00"), Decimal("5.00"), t, order_id=order.id
                ),
            ]
        )
        await uow.commit()
    async with backend.uow() as uow:
        mine = await uow.entries.of_order(order.id)  # type: ignore[arg-type]
        assert await uow.entries.of_order(10**9) == []
    assert mine == stored[1:]
    with pytest.raises(Conflict):
        async with backend.uow() as uow:
            await uow.entries.add(
                [Entry(account.id, EntryKind.REFUND_IN, Decimal("1"), Decimal("6"), t, order_id=10**9)]
            )
            await uow.commit()


async def test_verification_checks_every_orders_money(backend: Backend) -> None:
    ann, bob = await backend.user("ann"), await backend.user("bob")
    (lamp,) = await store(backend, new_item(backend, bob, "Lamp", "2.50"))
    container = backend.container
    opened = []
    for owner in (ann, bob):
        account = await container.ledger.open_account()(Actor(owner), ledger.OpenAccountCommand())
        opened.append(account.id)
    root = Actor(10**9, is_superuser=True)
    await container.ledger.deposit()(root, opened[0], ledger.DepositCommand("10"), ANSWER)
    place = container.ordering.place_order()
    paid, refunded, pending = [], [], []
    for bucket in (paid, refunded, pending):
        await place(Actor(ann), PlaceOrderCommand([OrderLineCommand(lamp, 1)]), ANSWER)
        bucket.append((await backend.orders.list(OrderFilter(buyer_id=ann), NEWEST)).items[0].id)
    pay = container.ordering.pay_order()
    await pay(Actor(ann), paid[0], PayOrderCommand(opened[0]), ANSWER)
    await pay(Actor(ann), refunded[0], PayOrderCommand(opened[0]), ANSWER)
    await container.ordering.change_order_status()(Actor(ann), refunded[0], "cancelled")
    report = await backend.ledger.verify()
    assert report.problems == [] and report.orders == 3 and report.entries == 7
    view = await backend.orders.get(paid[0])
    assert view is not None and (view.status, view.paid_from_account_id) == (
        OrderStatus.PROCESSING,
        opened[0],
    )
    async with backend.uow() as uow:  # a pending order that has been paid: money without its order
        stray = await uow.orders.lock(pending[0])
        assert stray is not None
        stray.status = OrderStatus.DELIVERED
        await uow.orders.save(stray)
        await uow.commit()
    problems = (await backend.ledger.verify()).problems
    assert problems == [f"order {pending[0]} (delivered): paid 0.00 and refunded 0.00 of its total 2.50"]
