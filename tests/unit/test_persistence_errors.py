"""The persistence adapter's classification of driver errors (``errors.translate``): outages
are ``DatabaseUnavailable``, refused values ``UnstorableValue``, lost races
``TransientConflict``, constraint violations domain errors; bugs stay what they are."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import exc as sa_exc

from application.errors import DatabaseUnavailable, TransientConflict, UnstorableValue
from domain.errors import AlreadyExists, Conflict
from infrastructure.persistence.errors import is_unavailable, translate


def _dbapi(orig: BaseException, *, invalidated: bool = False) -> sa_exc.DBAPIError:
    return sa_exc.DBAPIError("SELECT 1", {}, orig, connection_invalidated=invalidated)  # type: ignore[arg-type]


def _wrapped(cause: BaseException) -> BaseException:
    adapted = Exception("adapted driver error")
    adapted.__cause__ = cause
    return adapted


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        TimeoutError(),
        OSError(113, "No route to host"),
        sa_exc.TimeoutError("QueuePool limit reached"),
        sa_exc.OperationalError("SELECT 1", {}, Exception("unable to open database file")),
        sa_exc.InterfaceError("SELECT 1", {}, Exception("connection is closed")),
        _dbapi(Exception("connection was closed in the middle of operation"), invalidated=True),
        _dbapi(_wrapped(asyncpg.exceptions.CannotConnectNowError("the database system is starting up"))),
        _dbapi(_wrapped(asyncpg.exceptions.AdminShutdownError("terminating connection"))),
        asyncpg.exceptions.TooManyConnectionsError("too many clients"),
    ],
    ids=repr,
)
def test_unreachable_database_errors_are_unavailable(error: BaseException) -> None:
    assert is_unavailable(error)
    assert isinstance(translate(error), DatabaseUnavailable)


def test_errors_in_a_statement_are_not_unavailable() -> None:
    bug = _dbapi(_wrapped(asyncpg.exceptions.UndefinedColumnError("no such column")))
    assert not is_unavailable(bug) and translate(bug) is None
    assert not is_unavailable(ValueError("bug")) and translate(ValueError("bug")) is None


def test_data_exceptions_are_unstorable_values() -> None:
    too_long = asyncpg.exceptions.StringDataRightTruncationError("value too long")
    nul = asyncpg.exceptions.CharacterNotInRepertoireError("invalid byte sequence for encoding UTF8: 0x00")
    for cause in (too_long, nul):
        error = _dbapi(_wrapped(cause))
        assert isinstance(translate(error), UnstorableValue)
        assert not is_unavailable(error)


def test_lost_races_are_transient_conflicts_not_outages() -> None:
    deadlock = _dbapi(_wrapped(asyncpg.exceptions.DeadlockDetectedError("deadlock detected")))
    serialization = _dbapi(_wrapped(asyncpg.exceptions.SerializationError("could not serialize")))
    busy = sa_exc.OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))
    for error in (deadlock, serialization, busy):
        assert isinstance(translate(error), TransientConflict)
        assert not is_unavailable(error)


def _integrity(message: str, statement: str = "INSERT INTO users ...") -> sa_exc.IntegrityError:
    return sa_exc.IntegrityError(statement, {}, Exception(message))


def test_unique_violations_name_the_field_on_both_drivers() -> None:
    pg = _integrity('duplicate key value violates unique constraint "uq_users_username_lower"')
    sqlite = _integrity("UNIQUE constraint failed: users.email")
    index = _integrity("UNIQUE constraint failed: index 'uq_items_owner_id_title_lower'")
    assert [
        (e.entity, e.field) for e in map(translate, (pg, sqlite, index)) if isinstance(e, AlreadyExists)
    ] == [
        ("User", "username"),
        ("User", "email"),
        ("Item", "title"),
    ]


def test_restrict_violations_are_conflicts_naming_what_refers_to_the_row() -> None:
    pg = _integrity(
        'update or delete on table "items" violates foreign key constraint "fk_order_lines_item_id_items" '
        'on table "order_lines"',
        "DELETE FROM items WHERE items.id = $1",
    )
    error = translate(pg)
    assert isinstance(error, Conflict)
    assert error.detail == "Item is still referenced by order lines; it cannot be deleted"
    sqlite = translate(_integrity("FOREIGN KEY constraint failed", "DELETE FROM items WHERE items.id = ?"))
    assert isinstance(sqlite, Conflict) and sqlite.detail.startswith("Item is still referenced by")
    orphan = translate(
        _integrity(
            'insert or update on table "items" violates foreign key constraint "fk_items_owner_id_users"',
            "INSERT INTO items ...",
        )
    )
    assert isinstance(orphan, Conflict) and orphan.detail == "The Item refers to a row that does not exist"


def test_every_foreign_key_and_table_is_registered() -> None:
    """A new context's tables must name their entity and their foreign keys, so a RESTRICT
    violation reads well: ``models/<context>.py`` registers them beside the unique ones."""
    from infrastructure.persistence.models import ENTITIES, FOREIGN_KEYS, Base

    tables = Base.metadata.tables.values()
    assert {t.name for t in tables} <= ENTITIES.keys()
    assert {str(fk.name) for t in tables for fk in t.foreign_key_constraints} <= FOREIGN_KEYS.keys()
