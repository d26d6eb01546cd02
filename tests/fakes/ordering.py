"""Fakes of the ordering ports: orders and their lines (write side) and the order query service,
with the database's rules: the foreign keys of orders and lines (buyer, paying account, item,
seller), the quantity CHECK, the stored total written by ``save``, and ``lock`` recorded as a
``for_update`` statement."""

from __future__ import annotations

import copy
import dataclasses
from typing import TYPE_CHECKING

from application.ordering.views import OrderFilter, OrderLineView, OrderView
from application.pagination import PageRequest, Slice
from domain.errors import Conflict
from domain.ordering import QUANTITY_MAX, Order, OrderLine
from tests.fakes.paging import fake_page
from tests.fakes.state import FakeDatabase, FakeState

if TYPE_CHECKING:
    from tests.fakes.uow import FakeUnitOfWork


def _missing(entity: str) -> Conflict:
    return Conflict(f"The {entity} refers to a row that does not exist")


class FakeOrderRepository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def _check_order(self, order: Order) -> None:
        state = self._uow.state
        paid_from = order.paid_from_account_id
        if order.buyer_id not in state.users or (paid_from is not None and paid_from not in state.accounts):
            raise _missing("Order")

    async def add(self, order: Order) -> Order:
        self._uow.db.run("orders.add")
        self._check_order(order)
        state = self._uow.state
        order.id = state.new_id("orders")
        state.orders[order.id] = copy.deepcopy(order)
        state.order_totals[order.id] = order.total
        return order

    async def add_line(self, order_id: int, line: OrderLine) -> OrderLine:
        self._uow.db.run("orders.add_line")
        state = self._uow.state
        if (
            order_id not in state.orders
            or line.item_id not in state.items
            or line.seller_id not in state.users
        ):
            raise _missing("Order line")
        if not 1 <= line.quantity <= QUANTITY_MAX or line.unit_price < 0:
            raise Conflict("The change conflicts with existing data")
        stored = dataclasses.replace(line, id=state.new_id("order_lines"))
        state.orders[order_id].lines.append(stored)
        return stored

    async def lock(self, order_id: int) -> Order | None:
        self._uow.db.run("orders.lock", for_update=True)
        order = self._uow.state.orders.get(order_id)
        return copy.deepcopy(order) if order is not None else None

    async def save(self, order: Order) -> None:
        self._uow.db.run("orders.save")
        assert order.id is not None
        self._check_order(order)
        stored = self._uow.state.orders[order.id]
        stored.status, stored.paid_from_account_id = order.status, order.paid_from_account_id
        stored.updated_at = order.updated_at
        self._uow.state.order_totals[order.id] = order.total


def order_view(state: FakeState, order: Order) -> OrderView:
    assert order.id is not None and order.created_at is not None and order.updated_at is not None
    return OrderView(
        order.id,
        order.buyer_id,
        order.status,
        [OrderLineView.of(line) for line in order.lines],
        state.order_totals[order.id],
        order.paid_from_account_id,
        order.created_at,
        order.updated_at,
    )


def order_matches(view: OrderView, flt: OrderFilter) -> bool:
    """The reference semantics of an order filter."""
    if flt.buyer_id is not None and view.buyer_id != flt.buyer_id:
        return False
    if flt.seller_id is not None and all(line.seller_id != flt.seller_id for line in view.lines):
        return False
    return flt.status is None or view.status == flt.status


class FakeOrderQueries:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db

    async def get(self, order_id: int) -> OrderView | None:
        order = self._db.state.orders.get(order_id)
        return order_view(self._db.state, order) if order is not None else None

    async def list(self, flt: OrderFilter, page: PageRequest) -> Slice[OrderView]:
        state = self._db.state
        views = [order_view(state, order) for order in state.orders.values()]
        return fake_page([v for v in views if order_matches(v, flt)], page)
