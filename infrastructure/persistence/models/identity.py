"""Identity tables: users, their profile, and failed login attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Computed, ForeignKey, Index, Integer, String, false, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.identity import AVATAR_URL_MAX, BIO_MAX, EMAIL_MAX, FULL_NAME_MAX, USERNAME_MAX
from infrastructure.persistence.models.types import MYSQL_TABLE_OPTIONS, Base, Id, UtcDateTime


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX))
    # Written by the database on every engine (stored generated column): what case-insensitive
    # uniqueness and login by username compare. MariaDB has no expression indexes (nullable: MariaDB
    # refuses NOT NULL on generated columns; it is never null).
    username_lower: Mapped[str] = mapped_column(
        String(USERNAME_MAX), Computed("lower(username)", persisted=True), nullable=True
    )
    full_name: Mapped[str | None] = mapped_column(String(FULL_NAME_MAX))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    is_superuser: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    profile: Mapped[ProfileRow | None] = relationship(
        lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        Index("uq_users_username_lower", username_lower, unique=True),
        Index("ix_users_username", username),
        MYSQL_TABLE_OPTIONS,
    )


class ProfileRow(Base):
    __tablename__ = "profiles"

    user_id: Mapped[int] = mapped_column(Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    bio: Mapped[str | None] = mapped_column(String(BIO_MAX))
    avatar_url: Mapped[str | None] = mapped_column(String(AVATAR_URL_MAX))

    __table_args__ = (MYSQL_TABLE_OPTIONS,)


class LoginThrottleRow(Base):
    """Login attempts counted per key (an account, with or without the client's address) in the
    current window; shared by every worker and process. Rows whose window ended are purged."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer)

    __table_args__ = (MYSQL_TABLE_OPTIONS,)


# Unique constraints and indexes → (entity, field) for ``AlreadyExists``. Keys are matched
# against the driver's message: PostgreSQL and MariaDB name the constraint or index, SQLite names
# table.column.
UNIQUE_CONSTRAINTS: dict[str, tuple[str, str]] = {
    "uq_users_email": ("User", "email"),
    "users.email": ("User", "email"),
    "uq_users_username_lower": ("User", "username"),
    "users.username_lower": ("User", "username"),
}
# Foreign keys → what refers to the parent row, for the ``Conflict`` a RESTRICT violation becomes.
FOREIGN_KEYS: dict[str, str] = {"fk_profiles_user_id_users": "their profile"}
# Tables → the entity a conflict names.
ENTITIES: dict[str, str] = {"users": "User", "profiles": "Profile", "login_throttles": "Login throttle"}
