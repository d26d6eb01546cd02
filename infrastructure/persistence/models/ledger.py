"""Ledger tables: accounts, transfers and the entries that record every balance change."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.ledger import ACCOUNT_NAME_MAX, EntryKind
from infrastructure.persistence.models.types import MYSQL_TABLE_OPTIONS, Base, Id, Money, UtcDateTime

ENTRY_KINDS = ", ".join(f"'{kind.value}'" for kind in EntryKind)


class AccountRow(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    # RESTRICT: a user who holds accounts cannot be hard-deleted (the money would vanish).
    owner_id: Mapped[int] = mapped_column(Id, ForeignKey("users.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(ACCOUNT_NAME_MAX))
    balance: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("owner_id", "name"),  # also serves "accounts of owner X"
        CheckConstraint("balance >= 0", name="balance_non_negative"),
        Index("ix_accounts_created_at", "created_at", "id"),
        MYSQL_TABLE_OPTIONS,
    )


def _account() -> ForeignKey:
    """Money never points at nothing: an account with transfers or entries cannot be deleted."""
    return ForeignKey("accounts.id", ondelete="RESTRICT")


class TransferRow(Base):
    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    from_account_id: Mapped[int] = mapped_column(
        Id, ForeignKey("accounts.id", ondelete="RESTRICT"), index=True
    )
    to_account_id: Mapped[int] = mapped_column(Id, ForeignKey("accounts.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("from_account_id <> to_account_id", name="distinct_accounts"),
        MYSQL_TABLE_OPTIONS,
    )


class EntryRow(Base):
    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    account_id: Mapped[int] = mapped_column(Id, _account())
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Money)
    balance_after: Mapped[Decimal] = mapped_column(Money)
    transfer_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("transfers.id", ondelete="RESTRICT"), index=True
    )
    # Payments and refunds name their order (RESTRICT: an order with money cannot vanish).
    order_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("orders.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("balance_after >= 0", name="balance_after_non_negative"),
        CheckConstraint(f"kind IN ({ENTRY_KINDS})", name="kind"),
        # An account's entries, newest first (and the verification's per-account sums).
        Index("ix_ledger_entries_account_id_created_at", "account_id", "created_at", "id"),
        MYSQL_TABLE_OPTIONS,
    )


UNIQUE_CONSTRAINTS: dict[str, tuple[str, str]] = {
    "uq_accounts_owner_id_name": ("Account", "name"),
    "accounts.owner_id, accounts.name": ("Account", "name"),
}
FOREIGN_KEYS: dict[str, str] = {
    "fk_accounts_owner_id_users": "their accounts",
    "fk_transfers_from_account_id_accounts": "transfers",
    "fk_transfers_to_account_id_accounts": "transfers",
    "fk_ledger_entries_account_id_accounts": "ledger entries",
    "fk_ledger_entries_transfer_id_transfers": "ledger entries",
    "fk_ledger_entries_order_id_orders": "ledger entries",
}
ENTITIES: dict[str, str] = {"accounts": "Account", "transfers": "Transfer", "ledger_entries": "Ledger entry"}
