"""SQLAlchemy typed declarative models: the single source of the schema, one module per context.

Alembic autogenerates from ``Base.metadata``; ``alembic check`` in the test suite proves the
migrations match. Relationships are ``lazy="raise"``: every load is explicit, none is lazy.
Importing this package registers every context's tables, and assembles the maps the unit of work
uses to translate constraint violations. A new context adds its module to ``CONTEXTS``.
"""

from __future__ import annotations

from types import ModuleType

from infrastructure.persistence.models import blog, catalog, idempotency, identity, ledger, ordering, teams
from infrastructure.persistence.models.blog import PostRow
from infrastructure.persistence.models.catalog import ItemRow, TagRow, item_tags
from infrastructure.persistence.models.idempotency import IdempotencyKeyRow
from infrastructure.persistence.models.identity import LoginThrottleRow, ProfileRow, UserRow
from infrastructure.persistence.models.ledger import AccountRow, EntryRow, TransferRow
from infrastructure.persistence.models.ordering import OrderLineRow, OrderRow
from infrastructure.persistence.models.teams import HeroRow, TeamRow, team_members
from infrastructure.persistence.models.types import (
    MYSQL_FAMILY,
    MYSQL_TABLE_OPTIONS,
    NAMING_CONVENTION,
    Base,
    Id,
    Money,
    UtcDateTime,
    is_mysql_family,
)

CONTEXTS: tuple[ModuleType, ...] = (identity, catalog, ledger, ordering, idempotency, teams, blog)


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
# index name → the dialects it exists on (indexes not listed exist everywhere)
DIALECT_INDEXES: dict[str, tuple[str, ...]] = _merged("DIALECT_INDEXES")  # type: ignore[assignment]


def indexes_on(dialect: str) -> set[str]:
    """The names of the model's indexes that exist on ``dialect``."""
    return {
        str(ix.name)
        for table in Base.metadata.tables.values()
        for ix in table.indexes
        if dialect in DIALECT_INDEXES.get(str(ix.name), (dialect,))
    }


__all__ = [
    "DIALECT_INDEXES",
    "ENTITIES",
    "FOREIGN_KEYS",
    "MYSQL_FAMILY",
    "MYSQL_TABLE_OPTIONS",
    "NAMING_CONVENTION",
    "POSTGRESQL_ONLY_INDEXES",
    "UNIQUE_CONSTRAINTS",
    "AccountRow",
    "Base",
    "EntryRow",
    "HeroRow",
    "Id",
    "IdempotencyKeyRow",
    "ItemRow",
    "LoginThrottleRow",
    "Money",
    "OrderLineRow",
    "OrderRow",
    "PostRow",
    "ProfileRow",
    "TagRow",
    "TeamRow",
    "TransferRow",
    "UserRow",
    "UtcDateTime",
    "indexes_on",
    "is_mysql_family",
    "item_tags",
    "team_members",
]
