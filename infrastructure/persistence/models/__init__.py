"""SQLAlchemy typed declarative models: the single source of the schema, one module per context.

Alembic autogenerates from ``Base.metadata``; ``alembic check`` in the test suite proves the
migrations match. Relationships are ``lazy="raise"``: every load is explicit, none is lazy.
Importing this package registers every context's tables, and assembles the maps the unit of work
uses to translate constraint violations. A new context adds its module to ``CONTEXTS``.
"""

from __future__ import annotations

from types import ModuleType

from infrastructure.persistence.models import catalog, idempotency, identity, ledger
from infrastructure.persistence.models.catalog import ItemRow, TagRow, item_tags
from infrastructure.persistence.models.idempotency import IdempotencyKeyRow
from infrastructure.persistence.models.identity import LoginThrottleRow, ProfileRow, UserRow
from infrastructure.persistence.models.ledger import AccountRow, EntryRow, TransferRow
from infrastructure.persistence.models.types import NAMING_CONVENTION, Base, Id, Money, UtcDateTime

CONTEXTS: tuple[ModuleType, ...] = (identity, catalog, ledger, idempotency)


def _merged(name: str) -> dict[str, object]:
    merged: dict[str, object] = {}
    for module in CONTEXTS:
        merged.update(getattr(module, name, {}))
    return merged


# constraint or index name (or SQLite's "table.column") → (entity, field) for AlreadyExists
UNIQUE_CONSTRAINTS: dict[str, tuple[str, str]] = _merged("UNIQUE_CONSTRAINTS")  # type: ignore[assignment]
# foreign key name → what refers to the parent row, for the Conflict of a RESTRICT violation
FOREIGN_KEYS: dict[str, str] = _merged("FOREIGN_KEYS")  # type: ignore[assignment]
# table name → the entity a conflict names
ENTITIES: dict[str, str] = _merged("ENTITIES")  # type: ignore[assignment]
POSTGRESQL_ONLY_INDEXES: frozenset[str] = frozenset().union(
    *(getattr(m, "POSTGRESQL_ONLY_INDEXES", frozenset()) for m in CONTEXTS)
)

__all__ = [
    "ENTITIES",
    "FOREIGN_KEYS",
    "NAMING_CONVENTION",
    "POSTGRESQL_ONLY_INDEXES",
    "UNIQUE_CONSTRAINTS",
    "AccountRow",
    "Base",
    "EntryRow",
    "Id",
    "IdempotencyKeyRow",
    "ItemRow",
    "LoginThrottleRow",
    "Money",
    "ProfileRow",
    "TagRow",
    "TransferRow",
    "UserRow",
    "UtcDateTime",
    "item_tags",
]
