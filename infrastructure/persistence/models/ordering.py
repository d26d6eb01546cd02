"""Ordering tables: orders and their lines.

Every foreign key into another context is RESTRICT: an item an order line refers to cannot be
deleted (deactivate it instead), nor a user who bought or sold through an order, nor an account
that paid for one. Each foreign key column leads an index (MariaDB would otherwise create one of
its own, which the model would not know).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from domain.catalog import TITLE_MAX
from domain.ordering import QUANTITY_MAX, OrderStatus
from infrastructure.persistence.models.types import MYSQL_TABLE_OPTIONS, Base, Id, Money, UtcDateTime

ORDER_STATUSES = ", ".join(f"'{status.value}'" for status in OrderStatus)


class OrderRow(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(Id, ForeignKey("users.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20))
    total: Mapped[Decimal] = mapped_column(Money)
    paid_from_account_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("accounts.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        CheckConstraint(f"status IN ({ORDER_STATUSES})", name="status"),
        CheckConstraint("total >= 0", name="total_non_negative"),
        # "my orders, newest first" (and the buyer's foreign key); every order, newest first.
        Index("ix_orders_buyer_id_created_at", "buyer_id", "created_at", "id"),
        Index("ix_orders_created_at", "created_at", "id"),
        MYSQL_TABLE_OPTIONS,
    )


class OrderLineRow(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(Id, ForeignKey("orders.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(Id, ForeignKey("items.id", ondelete="RESTRICT"), index=True)
    seller_id: Mapped[int] = mapped_column(Id, ForeignKey("users.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    line_total: Mapped[Decimal] = mapped_column(Money)

    __table_args__ = (
        CheckConstraint(f"quantity BETWEEN 1 AND {QUANTITY_MAX}", name="quantity"),
        CheckConstraint("unit_price >= 0", name="unit_price_non_negative"),
        CheckConstraint("line_total >= 0", name="line_total_non_negative"),
        Index("ix_order_lines_order_id_id", "order_id", "id"),  # an order's lines, in order
        Index("ix_order_lines_seller_id_order_id", "seller_id", "order_id"),  # "orders of my items"
        MYSQL_TABLE_OPTIONS,
    )


UNIQUE_CONSTRAINTS: dict[str, tuple[str, str]] = {}
FOREIGN_KEYS: dict[str, str] = {
    "fk_orders_buyer_id_users": "their orders",
    "fk_orders_paid_from_account_id_accounts": "orders it paid for",
    "fk_order_lines_order_id_orders": "its lines",
    "fk_order_lines_item_id_items": "order lines",
    "fk_order_lines_seller_id_users": "orders of their items",
}
ENTITIES: dict[str, str] = {"orders": "Order", "order_lines": "Order line"}
