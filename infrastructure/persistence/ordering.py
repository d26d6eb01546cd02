"""Ordering adapters: the order repository (write side, inside a unit of work) and the order
query service (read side, autocommit connection).

The read side never hydrates ORM objects and never loads lines per order: one order is one
statement (the order joined with its lines), a page of orders two (the page, with its total as
a sub-select, then the lines of every order on it), whatever the number of lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, bindparam, exists, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from application.ordering.views import OrderFilter, OrderLineView, OrderView
from application.pagination import PageRequest, Slice
from domain.ordering import Order, OrderLine, OrderStatus
from infrastructure.persistence.database import ReadPath
from infrastructure.persistence.models import OrderLineRow, OrderRow
from infrastructure.persistence.queries import by_datetime, fetch_page, reading

_orders = cast(Table, OrderRow.__table__)
_lines = cast(Table, OrderLineRow.__table__)

_ORDER_COLUMNS = (
    _orders.c.id,
    _orders.c.buyer_id,
    _orders.c.status,
    _orders.c.total,
    _orders.c.paid_from_account_id,
    _orders.c.created_at,
    _orders.c.updated_at,
)
_LINE_COLUMNS = (
    _lines.c.id.label("line_id"),
    _lines.c.order_id,
    _lines.c.item_id,
    _lines.c.seller_id,
    _lines.c.title,
    _lines.c.quantity,
    _lines.c.unit_price,
    _lines.c.line_total,
)
# Prebuilt: the statements of a payment or a cancellation keep their memoised cache keys.
_LOCK = select(*_ORDER_COLUMNS).where(_orders.c.id == bindparam("order_id")).with_for_update()
_LINES_OF = select(*_LINE_COLUMNS).where(_lines.c.order_id == bindparam("order_id")).order_by(_lines.c.id)
_LINES_IN = (
    select(*_LINE_COLUMNS)
    .where(_lines.c.order_id.in_(bindparam("ids", expanding=True)))
    .order_by(_lines.c.id)
)
_SAVE = (
    update(_orders)
    .where(_orders.c.id == bindparam("order_id"))
    .values(
        status=bindparam("status"),
        total=bindparam("total"),
        paid_from_account_id=bindparam("paid_from"),
        updated_at=bindparam("updated_at"),
    )
)


def order_row(order: Order) -> dict[str, Any]:
    """The ``orders`` row of an order (the seed writes the same rows in bulk)."""
    return {
        "buyer_id": order.buyer_id,
        "status": order.status.value,
        "total": order.total,
        "paid_from_account_id": order.paid_from_account_id,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }


def line_row(order_id: int, line: OrderLine) -> dict[str, Any]:
    """The ``order_lines`` row of a line of order ``order_id``."""
    return {
        "order_id": order_id,
        "item_id": line.item_id,
        "seller_id": line.seller_id,
        "title": line.title,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "line_total": line.line_total,
    }


def _line(row: Any) -> OrderLine:
    return OrderLine(row.item_id, row.seller_id, row.title, row.quantity, row.unit_price, id=row.line_id)


class SqlOrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, order: Order) -> Order:
        result = await self._session.execute(insert(_orders).values(**order_row(order)))
        order.id = int(result.inserted_primary_key[0])  # type: ignore[attr-defined]
        return order

    async def add_line(self, order_id: int, line: OrderLine) -> OrderLine:
        result = await self._session.execute(insert(_lines).values(**line_row(order_id, line)))
        return replace(line, id=int(result.inserted_primary_key[0]))  # type: ignore[attr-defined]

    async def lock(self, order_id: int) -> Order | None:
        row = (await self._session.execute(_LOCK, {"order_id": order_id})).first()
        if row is None:
            return None
        lines = [_line(r) for r in await self._session.execute(_LINES_OF, {"order_id": order_id})]
        return Order(
            buyer_id=row.buyer_id,
            lines=lines,
            status=OrderStatus(row.status),
            paid_from_account_id=row.paid_from_account_id,
            id=row.id,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    async def save(self, order: Order) -> None:
        params = {
            "order_id": order.id,
            "status": order.status.value,
            "total": order.total,
            "paid_from": order.paid_from_account_id,
            "updated_at": order.updated_at,
        }
        await self._session.execute(_SAVE, params)


# --- read side ------------------------------------------------------------------------------------

_ORDER_SORTS = {"created_at": by_datetime(_orders.c.created_at)}
_GET = (
    select(*_ORDER_COLUMNS, *_LINE_COLUMNS)
    .select_from(_orders.join(_lines, _lines.c.order_id == _orders.c.id))
    .where(_orders.c.id == bindparam("order_id"))
    .order_by(_lines.c.id)
)


def _line_view(row: Any) -> OrderLineView:
    return OrderLineView(row.item_id, row.seller_id, row.title, row.quantity, row.unit_price, row.line_total)


def _order_view(row: Any, lines: list[OrderLineView]) -> OrderView:
    return OrderView(
        row.id,
        row.buyer_id,
        OrderStatus(row.status),
        lines,
        row.total,
        row.paid_from_account_id,
        row.created_at,
        row.updated_at,
    )


def _where(flt: OrderFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if flt.buyer_id is not None:
        where.append(_orders.c.buyer_id == flt.buyer_id)
    if flt.seller_id is not None:
        where.append(exists().where(_lines.c.order_id == _orders.c.id, _lines.c.seller_id == flt.seller_id))
    if flt.status is not None:
        where.append(_orders.c.status == flt.status.value)
    return where


class SqlOrderQueries:
    def __init__(self, reads: ReadPath) -> None:
        self._reads = reads

    async def get(self, order_id: int) -> OrderView | None:
        async with reading(self._reads) as conn:
            rows = (await conn.execute(_GET, {"order_id": order_id})).all()
        return _order_view(rows[0], [_line_view(r) for r in rows]) if rows else None

    async def list(self, flt: OrderFilter, page: PageRequest) -> Slice[OrderView]:
        async with reading(self._reads) as conn:
            rows, total, next_key = await fetch_page(
                conn, _ORDER_COLUMNS, _orders, _where(flt), _ORDER_SORTS, _orders.c.id, page
            )
            lines = await _lines_of(conn, [r.id for r in rows])
        return Slice([_order_view(r, lines.get(r.id, [])) for r in rows], total, next_key)


async def _lines_of(conn: AsyncConnection, order_ids: Sequence[int]) -> dict[int, list[OrderLineView]]:
    """The lines of every listed order, in one statement."""
    if not order_ids:
        return {}
    found: dict[int, list[OrderLineView]] = {}
    for row in await conn.execute(_LINES_IN, {"ids": list(order_ids)}):
        found.setdefault(row.order_id, []).append(_line_view(row))
    return found
