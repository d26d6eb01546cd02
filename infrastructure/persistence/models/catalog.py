"""Catalog tables: items, tags and the link between them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Column, Computed, ForeignKey, Index, String, Table, Text, text, true
from sqlalchemy.orm import Mapped, mapped_column

from domain.catalog import TAG_MAX, TITLE_MAX
from infrastructure.persistence.models.types import (
    MYSQL_FAMILY,
    MYSQL_TABLE_OPTIONS,
    Base,
    Id,
    Money,
    UtcDateTime,
    only_on,
)

item_tags = Table(
    "item_tags",
    Base.metadata,
    Column("item_id", Id, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Id, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    # (item_id, tag_id) is the primary key; this one serves "items carrying tag X".
    Index("ix_item_tags_tag_id_item_id", "tag_id", "item_id"),
    **MYSQL_TABLE_OPTIONS,
)


class TagRow(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(TAG_MAX), unique=True)

    __table_args__ = (MYSQL_TABLE_OPTIONS,)


class ItemRow(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    # Stored generated column on every engine: one owner, one title, case-insensitively.
    title_lower: Mapped[str] = mapped_column(
        String(TITLE_MAX), Computed("lower(title)", persisted=True), nullable=True
    )
    description: Mapped[str | None] = mapped_column(Text)
    price: Mapped[Decimal] = mapped_column(Money)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    owner_id: Mapped[int] = mapped_column(Id, ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        # One owner, one title (case-insensitive); also serves "items of owner X".
        Index("uq_items_owner_id_title_lower", owner_id, title_lower, unique=True),
        Index("ix_items_owner_id_created_at", owner_id, created_at, id),
        Index("ix_items_created_at", created_at, id),
        Index("ix_items_price", price, id),
        Index("ix_items_title", title, id),
        # The default listing is active items only: partial indexes for its two common sorts
        # where the engine has them; MariaDB/MySQL, which has none, leads with the flag instead
        # (``is_active = true ORDER BY created_at, id`` reads one range of that index in order).
        only_on(
            Index(
                "ix_items_active_created_at",
                created_at,
                id,
                postgresql_where=text("is_active"),
                sqlite_where=text("is_active"),
            ),
            "postgresql",
            "sqlite",
        ),
        only_on(
            Index(
                "ix_items_active_price",
                price,
                id,
                postgresql_where=text("is_active"),
                sqlite_where=text("is_active"),
            ),
            "postgresql",
            "sqlite",
        ),
        only_on(Index("ix_items_is_active_created_at", is_active, created_at, id), *MYSQL_FAMILY),
        only_on(Index("ix_items_is_active_price", is_active, price, id), *MYSQL_FAMILY),
        # PostgreSQL only (pg_trgm): substring search on title. Kept out of SQLite by
        # ``ddl_if`` and out of SQLite's autogenerate comparison by migrations/env.py.
        Index(
            "ix_items_title_trgm",
            title,
            postgresql_using="gin",
            postgresql_ops={"title": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        MYSQL_TABLE_OPTIONS,
    )


# Indexes that exist on some engines only (index name → dialect names); migrations/env.py leaves
# them out of autogenerate's comparison elsewhere, and the migration test expects them there only.
DIALECT_INDEXES: dict[str, tuple[str, ...]] = {
    "ix_items_title_trgm": ("postgresql",),
    "ix_items_active_created_at": ("postgresql", "sqlite"),
    "ix_items_active_price": ("postgresql", "sqlite"),
    "ix_items_is_active_created_at": MYSQL_FAMILY,
    "ix_items_is_active_price": MYSQL_FAMILY,
}
POSTGRESQL_ONLY_INDEXES = frozenset({"ix_items_title_trgm"})

UNIQUE_CONSTRAINTS: dict[str, tuple[str, str]] = {
    "uq_items_owner_id_title_lower": ("Item", "title"),
    "uq_tags_name": ("Tag", "name"),
    "items.owner_id, items.title_lower": ("Item", "title"),
    "tags.name": ("Tag", "name"),
}
FOREIGN_KEYS: dict[str, str] = {
    "fk_items_owner_id_users": "their items",
    "fk_item_tags_item_id_items": "its tags",
    "fk_item_tags_tag_id_tags": "tagged items",
}
ENTITIES: dict[str, str] = {"items": "Item", "tags": "Tag", "item_tags": "Item tag"}
