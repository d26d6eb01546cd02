"""The idempotency-key table, shared by every context whose writes a client may retry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from application.idempotency import KEY_MAX
from infrastructure.persistence.models.types import MYSQL_TABLE_OPTIONS, Base, Id, UtcDateTime


class IdempotencyKeyRow(Base):
    """One key of one user: the fingerprint of the request that claimed it, and the response it
    answered (null while that request is in flight). Purged after ``KEEP_FOR``."""

    __tablename__ = "idempotency_keys"

    user_id: Mapped[int] = mapped_column(Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_MAX), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)

    __table_args__ = (MYSQL_TABLE_OPTIONS,)


UNIQUE_CONSTRAINTS: dict[str, tuple[str, str]] = {}
FOREIGN_KEYS: dict[str, str] = {"fk_idempotency_keys_user_id_users": "their idempotency keys"}
ENTITIES: dict[str, str] = {"idempotency_keys": "Idempotency key"}
