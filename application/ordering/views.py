"""Ordering views and filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from application.common import Actor
from domain.ordering import Order, OrderLine, OrderStatus, RejectedLine


@dataclass(frozen=True, slots=True)
class OrderLineView:
    item_id: int
    seller_id: int
    title: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal

    @classmethod
    def of(cls, line: OrderLine) -> OrderLineView:
        return cls(line.item_id, line.seller_id, line.title, line.quantity, line.unit_price, line.line_total)


@dataclass(frozen=True, slots=True)
class OrderView:
    id: int
    buyer_id: int
    status: OrderStatus
    lines: list[OrderLineView]
    total: Decimal
    paid_from_account_id: int | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, order: Order) -> OrderView:
        assert order.id is not None
        assert order.created_at is not None and order.updated_at is not None
        return cls(
            order.id,
            order.buyer_id,
            order.status,
            [OrderLineView.of(line) for line in order.lines],
            order.total,
            order.paid_from_account_id,
            order.created_at,
            order.updated_at,
        )

    def visible_to(self, actor: Actor) -> bool:
        """The buyer, any seller of one of its lines, and superusers see an order."""
        return (
            actor.is_superuser
            or actor.user_id == self.buyer_id
            or any(line.seller_id == actor.user_id for line in self.lines)
        )


@dataclass(frozen=True, slots=True)
class PlacedOrderView(OrderView):
    """A new order, and the lines of the request that were left out (by index, with why)."""

    rejected_lines: list[RejectedLine] = field(default_factory=list)

    @classmethod
    def placed(cls, order: Order, rejected: Sequence[RejectedLine]) -> PlacedOrderView:
        view = OrderView.of(order)
        values: dict[str, Any] = {f.name: getattr(view, f.name) for f in fields(OrderView)}
        return cls(**values, rejected_lines=list(rejected))


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """``buyer_id``: orders they bought; ``seller_id``: orders with a line of theirs; neither:
    every order (superusers). ``status`` narrows either."""

    buyer_id: int | None = None
    seller_id: int | None = None
    status: OrderStatus | None = None
