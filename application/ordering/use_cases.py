"""Ordering use cases: place an order, read and list orders, pay for one, change its status.

A new order reads each item and stores its line inside a savepoint of its own: a line that
cannot be part of the order (unknown, inactive or the buyer's own item) is reported by index and
leaves nothing behind, while a lost race (``TransientConflict``, not a domain error) leaves the
loop and ``Transactions`` reruns the whole use case. Paying and cancelling lock the order's row
first, then every account involved in one statement in ascending id order (as transfers do), so
a payment and a cancellation of one order take turns and never deadlock with transfers; the
money, the entries and the new status are one commit. Placing and paying honour
``Idempotency-Key`` (``application.idempotency``), recorded in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from application.common import Actor
from application.idempotency import Idempotency, Outcome, run_once
from application.ordering.ports import OrderingUnitOfWork, OrderQueries
from application.ordering.views import OrderFilter, OrderView, PlacedOrderView
from application.pagination import CursorCodec, Page, PageParams, scope_of
from application.ports import Clock
from application.transactions import Transactions
from domain.errors import Conflict, InvalidInput, NotFound
from domain.ordering import (
    LineRejected,
    LineRejection,
    Order,
    OrderRejected,
    OrderStatus,
    RejectedLine,
    Role,
    check_line_count,
    check_quantity,
)

ORDER_SORTS = ("created_at",)
ROLES = (Role.BUYER.value, Role.SELLER.value)

OrderingTransactions = Transactions[OrderingUnitOfWork]


def _not_found(order_id: int) -> NotFound:
    return NotFound(f"Order {order_id} not found")


def _roles(order: Order | None, actor: Actor, order_id: int) -> frozenset[Role]:
    """The caller's roles on the order; an order they have none on is a 404, never a 403."""
    roles = order.roles_of(actor.user_id, is_superuser=actor.is_superuser) if order is not None else None
    if not roles:
        raise _not_found(order_id)
    return roles


def parse_status(value: str, field_name: str = "status") -> OrderStatus:
    try:
        return OrderStatus(value)
    except ValueError as exc:
        choices = ", ".join(s.value for s in OrderStatus)
        raise InvalidInput(f"{field_name} must be one of {choices}", field_name) from exc


# --- commands -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderLineCommand:
    item_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class PlaceOrderCommand:
    lines: Sequence[OrderLineCommand]


@dataclass(frozen=True, slots=True)
class PayOrderCommand:
    account_id: int


@dataclass(frozen=True, slots=True)
class ListOrdersQuery:
    role: str | None = None  # buyer (default) or seller; a superuser without it sees every order
    status: str | None = None


# --- write use cases ------------------------------------------------------------------------------


class PlaceOrder:
    def __init__(self, tx: OrderingTransactions, clock: Clock) -> None:
        self._tx, self._clock = tx, clock

    async def __call__(
        self, actor: Actor, cmd: PlaceOrderCommand, idempotency: Idempotency[PlacedOrderView]
    ) -> Outcome:
        check_line_count(len(cmd.lines))
        for wanted in cmd.lines:
            check_quantity(wanted.quantity)

        async def work(uow: OrderingUnitOfWork) -> Outcome:
            now = self._clock.now()
            return await run_once(uow, idempotency, now, lambda: self._place(uow, actor, cmd, now))

        return await self._tx(work)

    @staticmethod
    async def _place(
        uow: OrderingUnitOfWork, actor: Actor, cmd: PlaceOrderCommand, now: datetime
    ) -> PlacedOrderView:
        order = await uow.orders.add(Order.open(actor.user_id, now))
        assert order.id is not None
        rejected: list[RejectedLine] = []
        for index, wanted in enumerate(cmd.lines):
            try:
                async with uow.savepoint():
                    item = await uow.items.get(wanted.item_id)
                    line = order.line_for(wanted.item_id, item, wanted.quantity)
                    stored = await uow.orders.add_line(order.id, line)
            except LineRejected as refused:
                rejected.append(RejectedLine(index, wanted.item_id, refused.reason))
            except Conflict:  # the item was deleted between its read and its line's insert
                rejected.append(RejectedLine(index, wanted.item_id, LineRejection.UNKNOWN_ITEM))
            else:
                order.add(stored)
        if not order.lines:
            raise OrderRejected(rejected)  # rolls the order back: no order at all
        await uow.orders.save(order)
        return PlacedOrderView.placed(order, rejected)


class PayOrder:
    """The buyer pays a pending order from one of their accounts: the total out of it, each
    seller's line totals into that seller's oldest account, the order to ``processing``; all in
    one commit, or nothing (insufficient funds, a seller without an account, a lost race)."""

    def __init__(self, tx: OrderingTransactions, clock: Clock) -> None:
        self._tx, self._clock = tx, clock

    async def __call__(
        self, actor: Actor, order_id: int, cmd: PayOrderCommand, idempotency: Idempotency[OrderView]
    ) -> Outcome:
        async def work(uow: OrderingUnitOfWork) -> Outcome:
            now = self._clock.now()
            return await run_once(
                uow, idempotency, now, lambda: self._pay(uow, actor, order_id, cmd.account_id, now)
            )

        return await self._tx(work)

    @staticmethod
    async def _pay(
        uow: OrderingUnitOfWork, actor: Actor, order_id: int, account_id: int, now: datetime
    ) -> OrderView:
        order = await uow.orders.lock(order_id)
        roles = _roles(order, actor, order_id)
        assert order is not None
        order.check_payable(roles)
        oldest = await uow.accounts.oldest_of(list(order.dues()))
        locked = await uow.accounts.lock([account_id, *oldest.values()])
        account = locked.get(account_id)
        if account is None or account.owner_id != order.buyer_id:
            raise NotFound(f"Account {account_id} not found")
        sellers = {seller: locked[oldest_id] for seller, oldest_id in oldest.items()}
        entries = order.pay(account, sellers, by=roles, now=now)
        if entries:
            await uow.accounts.save_balances([account, *sellers.values()])
            await uow.entries.add(entries)
        await uow.orders.save(order)
        return OrderView.of(order)


class ChangeOrderStatus:
    """A move of the status diagram; cancelling a paid order refunds every payment in the same
    transaction (the paying account locked with the credited ones, ascending)."""

    def __init__(self, tx: OrderingTransactions, clock: Clock) -> None:
        self._tx, self._clock = tx, clock

    async def __call__(self, actor: Actor, order_id: int, status: str) -> OrderView:
        target = parse_status(status)

        async def work(uow: OrderingUnitOfWork) -> OrderView:
            order = await uow.orders.lock(order_id)
            roles = _roles(order, actor, order_id)
            assert order is not None
            now = self._clock.now()
            if target is not OrderStatus.CANCELLED:
                order.move_to(target, by=roles, now=now)
            else:
                order.check_move(target, roles)
                await self._cancel(uow, order, roles, now)
            await uow.orders.save(order)
            return OrderView.of(order)

        return await self._tx(work)

    @staticmethod
    async def _cancel(uow: OrderingUnitOfWork, order: Order, roles: frozenset[Role], now: datetime) -> None:
        if order.paid_from_account_id is None:
            order.cancel(by=roles, now=now)
            return
        assert order.id is not None
        payments = await uow.entries.of_order(order.id)
        accounts = await uow.accounts.lock([order.paid_from_account_id, *(p.account_id for p in payments)])
        refunds = order.cancel(by=roles, now=now, payments=payments, accounts=accounts)
        if refunds:
            await uow.accounts.save_balances(list(accounts.values()))
            await uow.entries.add(refunds)


# --- read use cases -------------------------------------------------------------------------------


class GetOrder:
    def __init__(self, queries: OrderQueries) -> None:
        self._queries = queries

    async def __call__(self, actor: Actor, order_id: int) -> OrderView:
        view = await self._queries.get(order_id)
        if view is None or not view.visible_to(actor):
            raise _not_found(order_id)
        return view


def order_filter(actor: Actor, query: ListOrdersQuery) -> OrderFilter:
    """The caller's orders as buyer, or with ``role=seller`` those with a line of theirs; a
    superuser without ``role`` sees every order."""
    if query.role is not None and query.role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", "role")
    status = parse_status(query.status) if query.status is not None else None
    if query.role == Role.SELLER:
        return OrderFilter(seller_id=actor.user_id, status=status)
    if query.role is None and actor.is_superuser:
        return OrderFilter(status=status)
    return OrderFilter(buyer_id=actor.user_id, status=status)


class ListOrders:
    def __init__(self, queries: OrderQueries, cursors: CursorCodec) -> None:
        self._queries, self._cursors = queries, cursors

    async def __call__(self, actor: Actor, query: ListOrdersQuery, params: PageParams) -> Page[OrderView]:
        flt = order_filter(actor, query)
        scope = scope_of("orders", flt.buyer_id, flt.seller_id, flt.status)
        request = self._cursors.page_request(params, ORDER_SORTS, scope)
        return self._cursors.page(request, await self._queries.list(flt, request), scope)
