"""Ordering use cases against the fakes: placing (savepoints, rejected lines, reruns), visibility,
lists, the all-or-nothing payment, status changes and refunds, idempotency keys, what orders keep
from being deleted, and the ledger's per-order verification."""

from __future__ import annotations

from decimal import Decimal

import pytest

from application import ordering
from application.common import Actor
from application.errors import TransientConflict
from application.idempotency import Idempotency, IdempotentRequest, StoredResponse
from application.ledger.invariants import OrderMoney, order_problems
from application.ordering.views import OrderFilter, OrderLineView, OrderView, PlacedOrderView
from application.pagination import PageParams
from domain.catalog import Item
from domain.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from domain.ledger import AMOUNT_MAX, EntryKind
from domain.ordering import LineRejection, OrderLine, OrderRejected, OrderStatus, RejectedLine
from tests.unit.test_ledger import Bank, present

PLAIN: Idempotency[object] = Idempotency(present)
ROOT = Actor(999_999, is_superuser=True)


class Shop(Bank):
    def item(self, owner: Actor, title: str, price: str, *, active: bool = True) -> int:
        item_id = self.db.state.new_id("items")
        now = self.clock.now()
        self.db.state.items[item_id] = Item(
            title, Decimal(price), owner.user_id, is_active=active, id=item_id, created_at=now, updated_at=now
        )
        return item_id

    async def funded(self, owner: Actor, funds: str | None = None, name: str | None = None) -> int:
        """An account of ``owner`` (with ``funds``), opened a second after the previous one."""
        account_id = await self.account(owner, name, funds)
        self.clock.advance(seconds=1)
        return account_id

    async def place(self, buyer: Actor, *lines: tuple[int, int], how: Idempotency[object] = PLAIN):
        cmd = ordering.PlaceOrderCommand([ordering.OrderLineCommand(i, q) for i, q in lines])
        return await self.ordering.place_order()(buyer, cmd, how)  # type: ignore[arg-type]

    async def placed(self, buyer: Actor, *lines: tuple[int, int]) -> int:
        await self.place(buyer, *lines)
        return max(self.db.state.orders)

    async def pay(self, actor: Actor, order_id: int, account_id: int, how: Idempotency[object] = PLAIN):
        cmd = ordering.PayOrderCommand(account_id)
        return await self.ordering.pay_order()(actor, order_id, cmd, how)  # type: ignore[arg-type]

    async def move(self, actor: Actor, order_id: int, status: str) -> OrderView:
        return await self.ordering.change_order_status()(actor, order_id, status)

    def status(self, order_id: int) -> OrderStatus:
        return self.db.state.orders[order_id].status


@pytest.fixture
def shop() -> Shop:
    return Shop()


def keyed(actor: Actor, key: str, fingerprint: str = "f1") -> Idempotency[object]:
    return Idempotency(present, IdempotentRequest(actor.user_id, key, fingerprint))


def capture() -> tuple[Idempotency[object], list[object]]:
    seen: list[object] = []

    def keep(view: object) -> StoredResponse:
        seen.append(view)
        return StoredResponse(201, "{}")

    return Idempotency(keep), seen


# --- placing an order -------------------------------------------------------------------------------


async def test_placing_copies_lines_and_reports_rejected_ones(shop: Shop) -> None:
    ann, bob = shop.user("ann"), shop.user("bob")
    lamp, old = shop.item(bob, "Lamp", "19.90"), shop.item(bob, "Old", "1", active=False)
    own = shop.item(ann, "Mine", "1")
    how, seen = capture()
    outcome = await shop.place(ann, (lamp, 3), (old, 1), (own, 1), (4242, 1), (lamp, 1), how=how)
    assert outcome.response.status == 201 and not outcome.replayed
    (view,) = seen
    assert isinstance(view, PlacedOrderView)
    assert view.lines == [
        OrderLineView(lamp, bob.user_id, "Lamp", 3, Decimal("19.90"), Decimal("59.70")),
        OrderLineView(lamp, bob.user_id, "Lamp", 1, Decimal("19.90"), Decimal("19.90")),
    ]
    assert view.rejected_lines == [
        RejectedLine(1, old, LineRejection.INACTIVE_ITEM),
        RejectedLine(2, own, LineRejection.OWN_ITEM),
        RejectedLine(3, 4242, LineRejection.UNKNOWN_ITEM),
    ]
    assert (view.total, view.status, view.buyer_id, view.paid_from_account_id) == (
        Decimal("79.60"),
        OrderStatus.PENDING,
        ann.user_id,
        None,
    )
    assert view.created_at == view.updated_at == shop.clock.current
    stored = shop.db.state.orders[view.id]
    assert [line.id for line in stored.lines] == [1, 2] and shop.db.state.order_totals[view.id] == Decimal(
        "79.60"
    )
    saves = [s.name for s in shop.db.statements if s.name.startswith("orders.")]
    assert saves == ["orders.add", "orders.add_line", "orders.add_line", "orders.save"]
    shop.db.state.items[lamp].price = Decimal("1.00")  # a later edit of the item
    read = await shop.ordering.get_order()(ann, view.id)
    assert read.lines[0].unit_price == Decimal("19.90") and read.total == Decimal("79.60")


async def test_an_order_of_rejected_lines_only_is_not_made(shop: Shop) -> None:
    ann = shop.user("ann")
    own = shop.item(ann, "Mine", "1")
    with pytest.raises(OrderRejected) as refused:
        await shop.place(ann, (own, 1), (4242, 2))
    assert refused.value.rejected == [
        RejectedLine(0, own, LineRejection.OWN_ITEM),
        RejectedLine(1, 4242, LineRejection.UNKNOWN_ITEM),
    ]
    assert shop.db.state.orders == {} and shop.db.commits == 0


@pytest.mark.parametrize(
    ("lines", "field"),
    [([], "lines"), ([(1, 1)] * 101, "lines"), ([(1, 0)], "quantity"), ([(1, 1001)], "quantity")],
)
async def test_bad_orders_are_refused_before_the_database(
    shop: Shop, lines: list[tuple[int, int]], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await shop.place(shop.user("ann"), *lines)
    assert refused.value.field == field and shop.db.statements == []


async def test_a_lost_race_inside_a_line_reruns_the_whole_order(shop: Shop) -> None:
    ann, bob = shop.user("ann"), shop.user("bob")
    lamp, desk = shop.item(bob, "Lamp", "1"), shop.item(bob, "Desk", "2")
    shop.db.fail("orders.add_line", 1)  # the first line's insert loses a race
    await shop.place(ann, (lamp, 1), (desk, 1))
    (order,) = shop.db.state.orders.values()
    assert [line.item_id for line in order.lines] == [lamp, desk]  # a rerun, not a rejected line
    assert [s.name for s in shop.db.statements].count("orders.add") == 2 and shop.db.commits == 1
    shop.db.fail("items.get", 3)
    with pytest.raises(TransientConflict):
        await shop.place(ann, (lamp, 1))
    assert len(shop.db.state.orders) == 1


async def test_an_item_gone_before_its_line_is_stored_is_an_unknown_item(shop: Shop) -> None:
    ann, bob, cat = shop.user("ann"), shop.user("bob"), shop.user("cat")
    lamp, chair = shop.item(bob, "Lamp", "1"), shop.item(cat, "Chair", "2")
    del shop.db.state.users[cat.user_id]  # the line's foreign key to its seller now fails
    how, seen = capture()
    await shop.place(ann, (chair, 1), (lamp, 1), how=how)
    (view,) = seen
    assert isinstance(view, PlacedOrderView)
    assert view.rejected_lines == [RejectedLine(0, chair, LineRejection.UNKNOWN_ITEM)]
    assert [line.item_id for line in view.lines] == [lamp]


async def test_placing_honours_idempotency_keys(shop: Shop) -> None:
    ann, bob = shop.user("ann"), shop.user("bob")
    lamp = shop.item(bob, "Lamp", "1")
    first = await shop.place(ann, (lamp, 1), how=keyed(ann, "k"))
    again = await shop.place(ann, (lamp, 1), how=keyed(ann, "k"))
    assert again.replayed and again.response == first.response and len(shop.db.state.orders) == 1
    with pytest.raises(IdempotencyKeyReused):
        await shop.place(ann, (lamp, 2), how=keyed(ann, "k", "other"))
    (order,) = shop.db.state.orders.values()
    assert shop.db.state.idempotency_keys[(ann.user_id, "k")][2] == order.created_at  # claimed with the order


# --- reading and listing ------------------------------------------------------------------------------


async def test_orders_are_visible_to_buyer_sellers_and_superusers(shop: Shop) -> None:
    ann, bob, cat, eve = shop.user("ann"), shop.user("bob"), shop.user("cat"), shop.user("eve")
    root = shop.user("root", superuser=True)
    order_id = await shop.placed(ann, (shop.item(bob, "Lamp", "1"), 1), (shop.item(cat, "Rug", "2"), 1))
    for reader in (ann, bob, cat, root):
        assert (await shop.ordering.get_order()(reader, order_id)).id == order_id
    for attempt in (
        shop.ordering.get_order()(eve, order_id),
        shop.pay(eve, order_id, 1),
        shop.move(eve, order_id, "cancelled"),
    ):
        with pytest.raises(NotFound) as hidden:
            await attempt
        assert hidden.value.detail == f"Order {order_id} not found"
    with pytest.raises(NotFound) as missing:
        await shop.ordering.get_order()(root, 4242)
    assert missing.value.detail == "Order 4242 not found"
    with pytest.raises(NotFound):
        await shop.move(root, 4242, "shipped")


async def test_lists_filter_by_role_and_status(shop: Shop) -> None:
    ann, bob, cat = shop.user("ann"), shop.user("bob"), shop.user("cat")
    root = shop.user("root", superuser=True)
    lamp, rug = shop.item(bob, "Lamp", "1"), shop.item(cat, "Rug", "1")
    first = await shop.placed(ann, (lamp, 1))
    shop.clock.advance(seconds=1)
    second = await shop.placed(ann, (rug, 1))
    shop.clock.advance(seconds=1)
    third = await shop.placed(cat, (lamp, 1))
    await shop.move(ann, first, "cancelled")
    list_orders = shop.ordering.list_orders()

    async def ids(actor: Actor, role: str | None = None, status: str | None = None) -> list[int]:
        page = await list_orders(actor, ordering.ListOrdersQuery(role, status), PageParams("-created_at"))
        return [v.id for v in page.items]

    assert await ids(ann) == [second, first] and await ids(ann, "buyer") == [second, first]
    assert await ids(bob) == [] and await ids(bob, "seller") == [third, first]
    assert await ids(cat) == [third] and await ids(cat, "seller") == [second]
    assert await ids(ann, status="cancelled") == [first] and await ids(bob, "seller", "pending") == [third]
    assert await ids(root) == [third, second, first] and await ids(root, "buyer") == []
    assert await ids(root, status="pending") == [third, second]
    with pytest.raises(InvalidInput) as bad_role:
        await ids(ann, "owner")
    assert (bad_role.value.field, bad_role.value.detail) == ("role", "role must be one of buyer, seller")
    with pytest.raises(InvalidInput) as bad_status:
        await ids(ann, status="lost")
    assert bad_status.value.field == "status"
    assert (
        bad_status.value.detail == "status must be one of pending, processing, shipped, delivered, cancelled"
    )
    page = await list_orders(ann, ordering.ListOrdersQuery(), PageParams("created_at", limit=1))
    rest = await list_orders(
        ann, ordering.ListOrdersQuery(), PageParams("created_at", limit=1, cursor=page.next_cursor)
    )
    assert [v.id for v in page.items + rest.items] == [first, second] and rest.next_cursor is None
    for other_list in (ordering.ListOrdersQuery(), ordering.ListOrdersQuery("seller")):
        with pytest.raises(BadRequest):  # issued for ann's purchases, not bob's purchases or sales
            await list_orders(bob, other_list, PageParams("created_at", cursor=page.next_cursor))
    sales = await list_orders(bob, ordering.ListOrdersQuery("seller"), PageParams("created_at", limit=1))
    with pytest.raises(BadRequest):  # issued for bob's sales, not cat's
        await list_orders(
            cat, ordering.ListOrdersQuery("seller"), PageParams("created_at", cursor=sales.next_cursor)
        )
    with pytest.raises(BadRequest):  # issued for ann's orders as buyer, not her sales
        await list_orders(
            ann, ordering.ListOrdersQuery("seller"), PageParams("created_at", cursor=page.next_cursor)
        )
    with pytest.raises(BadRequest):
        await list_orders(
            ann, ordering.ListOrdersQuery(status="pending"), PageParams("created_at", cursor=page.next_cursor)
        )


def test_the_filter_of_each_caller() -> None:
    ann, root = Actor(1), Actor(2, is_superuser=True)
    assert ordering.use_cases.order_filter(ann, ordering.ListOrdersQuery()) == OrderFilter(buyer_id=1)
    assert ordering.use_cases.order_filter(ann, ordering.ListOrdersQuery("seller", "shipped")) == OrderFilter(
        seller_id=1, status=OrderStatus.SHIPPED
    )
    assert ordering.use_cases.order_filter(root, ordering.ListOrdersQuery()) == OrderFilter()
    assert ordering.use_cases.order_filter(root, ordering.ListOrdersQuery("buyer")) == OrderFilter(buyer_id=2)


# --- payment ------------------------------------------------------------------------------------------


async def test_a_payment_debits_the_buyer_and_credits_each_sellers_oldest_account(shop: Shop) -> None:
    ann, bob, cat = shop.user("ann"), shop.user("bob"), shop.user("cat")
    source = await shop.funded(ann, "100.00")
    bob_oldest, _ = await shop.funded(bob, name="Old"), await shop.funded(bob, name="New")
    cat_account = await shop.funded(cat)
    order_id = await shop.placed(
        ann, (shop.item(bob, "Lamp", "19.90"), 2), (shop.item(cat, "Rug", "0.35"), 3)
    )
    shop.db.statements.clear()
    how, seen = capture()
    await shop.pay(ann, order_id, source, how)
    (view,) = seen
    assert isinstance(view, OrderView)
    assert (view.status, view.paid_from_account_id, view.total) == (
        OrderStatus.PROCESSING,
        source,
        Decimal("40.85"),
    )
    assert (shop.balance(source), shop.balance(bob_oldest), shop.balance(cat_account)) == (
        Decimal("59.15"),
        Decimal("39.80"),
        Decimal("1.05"),
    )
    paid = [
        (e.kind, e.account_id, e.amount, e.balance_after)
        for e in shop.db.state.entries.values()
        if e.order_id
    ]
    assert paid == [
        (EntryKind.PAYMENT_OUT, source, Decimal("40.85"), Decimal("59.15")),
        (EntryKind.PAYMENT_IN, bob_oldest, Decimal("39.80"), Decimal("39.80")),
        (EntryKind.PAYMENT_IN, cat_account, Decimal("1.05"), Decimal("1.05")),
    ]
    assert [(s.name, s.for_update) for s in shop.db.statements] == [
        ("orders.lock", True),
        ("accounts.oldest_of", False),
        ("accounts.lock", True),  # every account, in one statement
        ("accounts.save_balances", False),
        ("entries.add", False),
        ("orders.save", False),
        ("commit", False),
    ]
    assert shop.status(order_id) is OrderStatus.PROCESSING
    report = await shop.ledger.verify()()
    assert report.ok and report.orders == 1


async def test_a_payment_is_all_or_nothing(shop: Shop) -> None:
    ann, bob, cat = shop.user("ann"), shop.user("bob"), shop.user("cat")
    source, bob_account = await shop.funded(ann, "50.00"), await shop.funded(bob)
    cat_account = await shop.funded(cat, str(AMOUNT_MAX))
    order_id = await shop.placed(ann, (shop.item(bob, "Lamp", "10"), 1), (shop.item(cat, "Rug", "0.01"), 1))
    with pytest.raises(Conflict) as full:  # the second credit fails after the debit was taken
        await shop.pay(ann, order_id, source)
    assert full.value.detail == f"Account {cat_account} would hold more than {AMOUNT_MAX}"
    assert (shop.balance(source), shop.balance(bob_account)) == (Decimal("50.00"), Decimal("0.00"))
    assert shop.status(order_id) is OrderStatus.PENDING
    assert not [e for e in shop.db.state.entries.values() if e.order_id]
    order_two = await shop.placed(ann, (shop.item(bob, "Desk", "5"), 1))
    shop.db.fail("orders.save", 3)  # every attempt loses its race at the very end
    with pytest.raises(TransientConflict):
        await shop.pay(ann, order_two, source)
    assert shop.balance(source) == Decimal("50.00") and shop.status(order_two) is OrderStatus.PENDING
    shop.db.fail("entries.add", 1)  # once: the rerun pays
    await shop.pay(ann, order_two, source)
    assert shop.balance(source) == Decimal("45.00") and shop.balance(bob_account) == Decimal("5.00")
    assert (await shop.ledger.verify()()).ok


async def test_payment_refusals(shop: Shop) -> None:
    ann, bob, cat = shop.user("ann"), shop.user("bob"), shop.user("cat")
    root = shop.user("root", superuser=True)
    source, bob_account = await shop.funded(ann, "5.00"), await shop.funded(bob)
    cat_source = await shop.funded(cat, "100")
    lamp = shop.item(bob, "Lamp", "5.01")
    order_id = await shop.placed(ann, (lamp, 1))
    with pytest.raises(InsufficientFunds):
        await shop.pay(ann, order_id, source)
    for account_id in (cat_source, 4242):  # another's account is as unknown
        with pytest.raises(NotFound) as unknown:
            await shop.pay(ann, order_id, account_id)
        assert unknown.value.detail == f"Account {account_id} not found"
    for not_buyer in (bob, root):
        with pytest.raises(Forbidden):
            await shop.pay(not_buyer, order_id, bob_account)
    no_account = shop.user("dan")
    unpaid = await shop.placed(cat, (shop.item(no_account, "Mat", "1"), 1))
    with pytest.raises(Conflict) as seller:
        await shop.pay(cat, unpaid, cat_source)
    assert seller.value.detail == f"Seller {no_account.user_id} has no account to be paid into"
    assert shop.balance(cat_source) == Decimal("100.00") and shop.balance(source) == Decimal("5.00")
    await shop.move(ann, order_id, "cancelled")
    with pytest.raises(InvalidTransition) as cancelled:
        await shop.pay(ann, order_id, source)
    assert cancelled.value.allowed == []
    assert shop.db.state.orders[order_id].paid_from_account_id is None


async def test_a_free_order_is_paid_without_entries(shop: Shop) -> None:
    ann, bob = shop.user("ann"), shop.user("bob")
    source = await shop.funded(ann)
    order_id = await shop.placed(ann, (shop.item(bob, "Gift", "0"), 1))
    await shop.pay(ann, order_id, source)  # bob needs no account: he is owed nothing
    assert shop.status(order_id) is OrderStatus.PROCESSING and not shop.db.state.entries
    await shop.move(ann, order_id, "cancelled")
    assert shop.status(order_id) is OrderStatus.CANCELLED and not shop.db.state.entries


async def test_payment_honours_idempotency_keys(shop: Shop) -> None:
    ann, bob = shop.user("ann"), shop.user("bob")
    source, _ = await shop.funded(ann, "10"), await shop.funded(bob)
    order_id = await shop.placed(ann, (shop.item(bob, "Lamp", "1"), 1))
    first = await shop.pay(ann, order_id, source, keyed(ann, "pay"))
    again = await shop.pay(ann, order_id, source, keyed(ann, "pay"))
    assert again.replayed and again.response == first.response
    assert shop.balance(source) == Decimal("9.00")
    paid = shop.db.state.orders[order_id]
    assert shop.db.state.idempotency_keys[(ann.user_id, "pay")][2] == paid.updated_at


# --- status changes and refunds -------------------------------------------------------------------


async def test_forward_moves_and_their_refusals(shop: Shop) -> None:
    ann, bob, root = shop.user("ann"), shop.user("bob"), shop.user("root", superuser=True)
    source, _ = await shop.funded(ann, "10"), await shop.funded(bob)
    order_id = await shop.placed(ann, (shop.item(bob, "Lamp", "1"), 1))
    with pytest.raises(InvalidTransition) as unpaid:
        await shop.move(bob, order_id, "processing")
    assert unpaid.value.allowed == []
    with pytest.raises(InvalidInput) as bad:
        await shop.move(bob, order_id, "lost")
    assert bad.value.field == "status"
    await shop.pay(ann, order_id, source)
    shop.clock.advance(seconds=5)
    shipped = await shop.move(bob, order_id, "shipped")
    assert (shipped.status, shipped.updated_at) == (OrderStatus.SHIPPED, shop.clock.current)
    with pytest.raises(InvalidTransition) as late:
        await shop.move(ann, order_id, "cancelled")
    assert late.value.allowed == []
    assert (await shop.move(root, order_id, "delivered")).status is OrderStatus.DELIVERED
    assert shop.db.state.orders[order_id].updated_at == shop.clock.current
    assert (await shop.ledger.verify()()).ok


async def test_cancelling_a_paid_order_refunds_every_payment(shop: Shop) -> None:
    ann, bob, cat = shop.user("ann"), shop.user("bob"), shop.user("cat")
    source, bob_account, cat_account = (
        await shop.funded(ann, "30"),
        await shop.funded(bob),
        await shop.funded(cat),
    )
    order_id = await shop.placed(ann, (shop.item(bob, "Lamp", "10"), 2), (shop.item(cat, "Rug", "2.50"), 1))
    await shop.pay(ann, order_id, source)
    shop.db.statements.clear()
    cancelled = await shop.move(ann, order_id, "cancelled")
    assert (cancelled.status, cancelled.paid_from_account_id) == (OrderStatus.CANCELLED, source)
    assert (shop.balance(source), shop.balance(bob_account), shop.balance(cat_account)) == (
        Decimal("30.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    refunds = [
        (e.kind, e.account_id, e.amount)
        for e in shop.db.state.entries.values()
        if e.kind.startswith("refund")
    ]
    assert refunds == [
        (EntryKind.REFUND_OUT, bob_account, Decimal("20.00")),
        (EntryKind.REFUND_OUT, cat_account, Decimal("2.50")),
        (EntryKind.REFUND_IN, source, Decimal("22.50")),
    ]
    assert [(s.name, s.for_update) for s in shop.db.statements] == [
        ("orders.lock", True),
        ("entries.of_order", False),
        ("accounts.lock", True),
        ("accounts.save_balances", False),
        ("entries.add", False),
        ("orders.save", False),
        ("commit", False),
    ]
    report = await shop.ledger.verify()()
    assert report.ok and report.orders == 1


async def test_cancelling_an_unpaid_order_touches_no_money(shop: Shop) -> None:
    ann, bob = shop.user("ann"), shop.user("bob")
    order_id = await shop.placed(ann, (shop.item(bob, "Lamp", "1"), 1))
    shop.db.statements.clear()
    with pytest.raises(InvalidTransition) as by_seller:
        await shop.move(bob, order_id, "cancelled")
    assert by_seller.value.allowed == []
    assert [s.name for s in shop.db.statements] == ["orders.lock"]
    await shop.move(ann, order_id, "cancelled")
    assert [s.name for s in shop.db.statements][1:] == ["orders.lock", "orders.save", "commit"]


async def test_a_refund_that_cannot_be_covered_is_refused_whole(shop: Shop) -> None:
    ann, bob = shop.user("ann"), shop.user("bob")
    source, bob_account = await shop.funded(ann, "10"), await shop.funded(bob)
    order_id = await shop.placed(ann, (shop.item(bob, "Lamp", "4"), 1))
    await shop.pay(ann, order_id, source)
    shop.db.state.accounts[bob_account].balance = Decimal("3.99")  # as if spent (the ledger is bypassed)
    with pytest.raises(InsufficientFunds):
        await shop.move(ann, order_id, "cancelled")
    assert shop.status(order_id) is OrderStatus.PROCESSING and shop.balance(source) == Decimal("6.00")


# --- what orders keep --------------------------------------------------------------------------------


async def test_ordered_items_and_users_with_orders_cannot_be_deleted(shop: Shop) -> None:
    ann, bob, root = shop.user("ann"), shop.user("bob"), shop.user("root", superuser=True)
    lamp = shop.item(bob, "Lamp", "1")
    await shop.placed(ann, (lamp, 1))
    with pytest.raises(Conflict) as item:
        await shop.catalog.delete_item()(bob, lamp)
    assert item.value.detail == "Item is still referenced by order lines; it cannot be deleted"
    with pytest.raises(Conflict) as buyer:
        await shop.identity.delete_user()(root, ann.user_id, hard=True)
    assert buyer.value.detail == "User is still referenced by their orders; it cannot be deleted"
    with pytest.raises(Conflict) as seller:
        await shop.identity.delete_user()(root, bob.user_id, hard=True)
    assert seller.value.detail == "User is still referenced by orders of their items; it cannot be deleted"
    assert lamp in shop.db.state.items and ann.user_id in shop.db.state.users


# --- the ledger's per-order check ----------------------------------------------------------------------


def money(order_id: int, status: str, *amounts: str) -> OrderMoney:
    total, paid_out, paid_in, refunded_out, refunded_in = (Decimal(a) for a in amounts)
    return OrderMoney(order_id, status, total, paid_out, paid_in, refunded_out, refunded_in)


@pytest.mark.parametrize(
    "facts",
    [
        money(1, "pending", "5", "0", "0", "0", "0"),
        money(2, "processing", "5", "5", "5", "0", "0"),
        money(3, "shipped", "0", "0", "0", "0", "0"),
        money(4, "delivered", "5", "5", "5", "0", "0"),
        money(5, "cancelled", "5", "0", "0", "0", "0"),
        money(6, "cancelled", "5", "5", "5", "5", "5"),
    ],
)
def test_orders_whose_money_balances(facts: OrderMoney) -> None:
    assert order_problems(facts) == []


@pytest.mark.parametrize(
    ("facts", "problems"),
    [
        (
            money(1, "processing", "5", "5", "4", "0", "0"),
            ["order 1 (processing): payments out 5 but payments in 4"],
        ),
        (
            money(2, "cancelled", "5", "5", "5", "5", "4"),
            ["order 2 (cancelled): refunds out 5 but refunds in 4"],
        ),
        (
            money(3, "shipped", "5", "4", "4", "0", "0"),
            ["order 3 (shipped): paid 4 and refunded 0 of its total 5"],
        ),
        (
            money(4, "delivered", "5", "5", "5", "1", "1"),
            ["order 4 (delivered): paid 5 and refunded 1 of its total 5"],
        ),
        (
            money(5, "pending", "5", "5", "5", "0", "0"),
            ["order 5 (pending): paid 5 and refunded 0 while pending"],
        ),
        (
            money(6, "pending", "5", "0", "0", "1", "1"),
            ["order 6 (pending): paid 0 and refunded 1 while pending"],
        ),
        (money(7, "cancelled", "5", "5", "5", "0", "0"), ["order 7 (cancelled): paid 5 but refunded 0"]),
    ],
)
def test_orders_whose_money_does_not_balance(facts: OrderMoney, problems: list[str]) -> None:
    assert order_problems(facts) == problems


def test_order_problems_join_the_ledgers_own() -> None:
    from application.ledger.invariants import AccountFacts, report

    accounts = [AccountFacts(1, Decimal("1.00"), Decimal("0.00"), None)]
    found = report(accounts, 0, Decimal("1.00"), [], [money(9, "pending", "1", "1", "1", "0", "0")])
    assert found.problems == [
        "account 1: balance 1.00 but its entries sum to 0.00",
        "account 1: balance 1.00 but its last entry says 0.00",
        "order 9 (pending): paid 1 and refunded 0 while pending",
    ]
    assert found.orders == 1 and report([], 0, Decimal("0"), []).orders == 0


async def test_verification_finds_an_order_paid_twice(shop: Shop) -> None:
    ann, bob = shop.user("ann"), shop.user("bob")
    source, _ = await shop.funded(ann, "10"), await shop.funded(bob)
    order_id = await shop.placed(ann, (shop.item(bob, "Lamp", "1"), 1))
    await shop.pay(ann, order_id, source)
    shop.db.state.orders[order_id].status = OrderStatus.PENDING
    shop.clock.advance(seconds=1)
    await shop.pay(ann, order_id, source)
    report = await shop.ledger.verify()()
    assert report.problems == [
        f"order {order_id} (processing): paid 2.00 and refunded 0.00 of its total 1.00"
    ]


def test_views_copy_every_field(shop: Shop) -> None:
    line = OrderLine(3, 4, "T", 2, Decimal("1.25"), id=9)
    assert OrderLineView.of(line) == OrderLineView(3, 4, "T", 2, Decimal("1.25"), Decimal("2.50"))
    view = OrderView(
        1,
        2,
        OrderStatus.PENDING,
        [OrderLineView.of(line)],
        Decimal("2.50"),
        None,
        shop.clock.now(),
        shop.clock.now(),
    )
    assert (
        view.visible_to(Actor(2))
        and view.visible_to(Actor(4))
        and view.visible_to(Actor(9, is_superuser=True))
    )
    assert not view.visible_to(Actor(3)) and not view.visible_to(Actor(1))
