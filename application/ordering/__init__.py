"""Ordering: orders of items, their status diagram, payment and refunds through the ledger.
The use cases and commands, as routers, the CLI and the container use them."""

from application.ordering.use_cases import (
    ORDER_SORTS,
    ChangeOrderStatus,
    GetOrder,
    ListOrders,
    ListOrdersQuery,
    OrderLineCommand,
    PayOrder,
    PayOrderCommand,
    PlaceOrder,
    PlaceOrderCommand,
)

__all__ = [
    "ORDER_SORTS",
    "ChangeOrderStatus",
    "GetOrder",
    "ListOrders",
    "ListOrdersQuery",
    "OrderLineCommand",
    "PayOrder",
    "PayOrderCommand",
    "PlaceOrder",
    "PlaceOrderCommand",
]
