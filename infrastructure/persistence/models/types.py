"""What every context's models share: the declarative base with its naming convention, the
column types (ids, UTC datetimes, exact money) and the MySQL-family table options.

Tables are plural snake case; constraint names follow ``NAMING_CONVENTION`` so migrations and
error translation (``UNIQUE_CONSTRAINTS``, ``FOREIGN_KEYS`` in each context's module) can refer
to them.

MariaDB/MySQL: every table is InnoDB, ``utf8mb4`` with the ``utf8mb4_nopad_bin`` collation, so
text equality and ordering are those of PostgreSQL's C collation and SQLite's BINARY: case
matters and trailing spaces count (the server default ``utf8mb4_general_ci`` would make "Ann",
"ann" and "ann " equal). Case-insensitive uniqueness is explicit: a generated ``lower(...)``
column with a unique index (docs/adr/0013-mariadb-portability.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    Numeric,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from domain.money import CENT

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The MySQL-family dialects: "mysql" for mysql+driver:// URLs (also on a MariaDB server), "mariadb"
# for mariadb+driver:// URLs.
MYSQL_FAMILY = ("mysql", "mariadb")


def is_mysql_family(dialect: Dialect | str) -> bool:
    return (dialect if isinstance(dialect, str) else dialect.name) in MYSQL_FAMILY


# Table options for MariaDB/MySQL (ignored elsewhere); both prefixes, as each dialect reads its own.
MYSQL_TABLE_OPTIONS: dict[str, Any] = {
    f"{prefix}_{key}": value
    for prefix in MYSQL_FAMILY
    for key, value in (("engine", "InnoDB"), ("charset", "utf8mb4"), ("collate", "utf8mb4_nopad_bin"))
}


def only_on(index: Index, *dialects: str) -> Index:
    """``index`` is created on these dialects only (SQLAlchemy accepts a tuple; its stub says str)."""
    return index.ddl_if(dialect=cast(Any, dialects))


# Ids are BIGINT on PostgreSQL and INTEGER on SQLite (only INTEGER PRIMARY KEY auto-increments).
Id = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on every backend (SQLite stores naive text). MySQL's
    DATETIME has no offset (a driver would drop it silently) and keeps whole seconds unless
    declared DATETIME(6): there it is DATETIME(6) holding naive UTC, handed back aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if is_mysql_family(dialect):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if is_mysql_family(dialect) else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stored: datetime = value
        return stored.replace(tzinfo=UTC) if stored.tzinfo is None else stored.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """Exact money, never a float: ``numeric(12,2)`` on PostgreSQL (``DECIMAL(12,2)`` on
    MariaDB/MySQL, exact as well); on SQLite (whose NUMERIC
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
