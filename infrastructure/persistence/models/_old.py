"""SQLAlchemy typed declarative models: the single source of the schema.

Alembic autogenerates from ``Base.metadata``; ``alembic check`` in the test suite proves the
migrations match. Relationships are ``lazy="raise"``: every load is explicit, none is lazy.
Tables are plural snake case; constraint names follow ``NAMING_CONVENTION`` so migrations and
error translation can refer to them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    false,
    func,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Ids are BIGINT on PostgreSQL and INTEGER on SQLite (only INTEGER PRIMARY KEY auto-increments).
Id = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on every backend (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stored: datetime = value
        return stored.replace(tzinfo=UTC) if stored.tzinfo is None else stored.astimezone(UTC)


CENT = Decimal("0.01")


class Money(TypeDecorator[Decimal]):
    """Exact money, never a float: ``numeric(12,2)`` on PostgreSQL; on SQLite (whose NUMERIC
    goes through float in SQLAlchemy) integer cents in a NUMERIC-affinity column, which keeps
    ordering, range filters, ``sum``/``min``/``max`` exact. Bound values are converted by the
    column type, so ``price >= Decimal("9.99")`` compares cents with cents on SQLite."""

    impl = Numeric(12, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(12, 2, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be a Decimal, never a float")
        amount = Decimal(value).quantize(CENT)
        if dialect.name == "sqlite":
            return int(amount * 100)
        return amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            if isinstance(value, float):  # only if someone stored a REAL by hand
                raise TypeError("money column holds a float")
            return (Decimal(int(value)) / 100).quantize(CENT)
        return Decimal(value).quantize(CENT)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# --- identity -------------------------------------------------------------------------------------


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    username: Mapped[str] = mapped_column(String(50))
    full_name: Mapped[str | None] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    is_superuser: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    profile: Mapped[ProfileRow | None] = relationship(
        lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        Index("uq_users_username_lower", func.lower(username), unique=True),
        Index("ix_users_username", username),
    )


class ProfileRow(Base):
    __tablename__ = "profiles"

    user_id: Mapped[int] = mapped_column(Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    bio: Mapped[str | None] = mapped_column(String(500))
    avatar_url: Mapped[str | None] = mapped_column(String(500))


class LoginAttemptRow(Base):
    """A failed login, kept for the throttle window; shared by all worker processes."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    login_key: Mapped[str] = mapped_column(String(255))
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_login_attempts_login_key_attempted_at", login_key, attempted_at),)


# --- catalog --------------------------------------------------------------------------------------

item_tags = Table(
    "item_tags",
    Base.metadata,
    Column("item_id", Id, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Id, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    # (item_id, tag_id) is the primary key; this one serves "items carrying tag X".
    Index("ix_item_tags_tag_id_item_id", "tag_id", "item_id"),
)


class TagRow(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)


class ItemRow(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    price: Mapped[Decimal] = mapped_column(Money)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    owner_id: Mapped[int] = mapped_column(Id, ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        # One owner, one title (case-insensitive); also serves "items of owner X".
        Index("uq_items_owner_id_title_lower", owner_id, func.lower(title), unique=True),
        Index("ix_items_owner_id_created_at", owner_id, created_at, id),
        Index("ix_items_created_at", created_at, id),
        Index("ix_items_price", price, id),
        Index("ix_items_title", title, id),
        # The default listing is active items only: partial indexes for its two common sorts.
        Index(
            "ix_items_active_created_at", created_at, id,
            postgresql_where=text("is_active"), sqlite_where=text("is_active"),
        ),
        Index(
            "ix_items_active_price", price, id,
            postgresql_where=text("is_active"), sqlite_where=text("is_active"),
        ),
        # PostgreSQL only (pg_trgm): substring search on title. Kept out of SQLite by
        # ``ddl_if`` and out of SQLite's autogenerate comparison by migrations/env.py.
        Index(
            "ix_items_title_trgm", title,
            postgresql_using="gin", postgresql_ops={"title": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )  # fmt: skip


POSTGRESQL_ONLY_INDEXES = frozenset({"ix_items_title_trgm"})


# Unique constraints and indexes → (entity, field) for ``AlreadyExists``. Keys are matched
# against the driver's message: PostgreSQL names the constraint, SQLite names table.column
# (or the index, for expression indexes).
UNIQUE_CONSTRAINTS: dict[str, tuple[str, str]] = {
    "uq_users_email": ("User", "email"),
    "users.email": ("User", "email"),
    "uq_users_username_lower": ("User", "username"),
    "uq_items_owner_id_title_lower": ("Item", "title"),
    "uq_tags_name": ("Tag", "name"),
    "tags.name": ("Tag", "name"),
}
