"""What the database reports, as the errors use cases and the HTTP edge understand.

The one place driver errors are classified (the unit of work and the query services call
``translate``; nothing else looks at a driver exception):

* unique violation → ``AlreadyExists(entity, field)`` (``UNIQUE_CONSTRAINTS``);
* foreign-key violation → ``Conflict`` naming what still refers to the row (``FOREIGN_KEYS``);
* deadlock, serialization failure, busy SQLite file, MariaDB lock-wait timeout →
  ``TransientConflict`` (the use case reruns);
* connection refused, reset, timed out, server shutting down or refusing connections, pool
  exhausted, statement time limit → ``DatabaseUnavailable`` (503);
* a value the column cannot hold (SQLSTATE class 22, MariaDB's data errors) → ``UnstorableValue``
  (422).

MariaDB/MySQL errors are classified by their error number (``orig.args[0]``), never by the
exception class the driver picked: it calls almost every server error "OperationalError".

Anything else is a bug and stays what it is (a 500 with no detail).
"""

from __future__ import annotations

import re

import asyncmy.errors
import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import exc as sa_exc

from application.errors import DatabaseUnavailable, TransientConflict, UnstorableValue
from domain.errors import AlreadyExists, Conflict
from infrastructure.persistence.models import ENTITIES, FOREIGN_KEYS, UNIQUE_CONSTRAINTS, Base

# PostgreSQL serialization_failure and deadlock_detected; SQLite's busy/locked file.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})
TRANSIENT_SQLITE_MESSAGES = ("database is locked", "database table is locked")

_DRIVER_UNAVAILABLE = (
    OSError,  # refused, reset, unreachable, DNS, connect or command timeout (TimeoutError)
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up
    asyncpg.exceptions.TooManyConnectionsError,
)

# SQLSTATE classes a server answers with when it cannot serve this client now, most of them at
# connect time: connection exceptions, bad role or password, unknown database, too many
# connections or no resources, shutting down or starting up.
UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "28", "3D", "53", "57P")

# MariaDB/MySQL error numbers. Deadlock (1213) rolls the transaction back; a lock-wait timeout
# (1205) only the statement, but the use case reruns in a fresh unit of work all the same (the
# old one is rolled back on leaving). 1020: "record has changed since last read" (MariaDB's
# snapshot isolation at REPEATABLE READ; not raised at the READ COMMITTED Bazaar uses).
MYSQL_TRANSIENT = frozenset({1213, 1205, 1020})
MYSQL_UNAVAILABLE = frozenset(
    {
        1040,  # too many connections
        1042,
        1043,
        1129,
        1130,  # host unknown, bad handshake, blocked, not allowed
        1044,
        1045,
        1049,  # access denied (database, user), unknown database
        1053,
        1077,
        1927,
        1317,  # server shutdown, normal shutdown, connection killed, interrupted
        1203,
        1226,  # per-user connection and resource limits
        1290,
        1836,  # server running --read-only
        1969,
        3024,  # statement time limit (MariaDB max_statement_time, MySQL max_execution_time)
        4031,  # MySQL: disconnected by the server for inactivity
    }
)
# Data errors: incorrect string value (not utf8mb4), too long, out of range, truncated, bad
# date/time or number, illegal value for the type, division by zero, invalid JSON.
MYSQL_INVALID_DATA = frozenset({1366, 1406, 1264, 1265, 1292, 1367, 1416, 1690, 1365, 1411, 3140})
# A CHECK constraint refused the row: MariaDB's ER_CONSTRAINT_FAILED, MySQL's 3819 (reported as
# an OperationalError, not an IntegrityError, by the driver).
MYSQL_CHECK_FAILED = frozenset({4025, 3819})
_MYSQL_CLIENT_ERRORS = range(2000, 3000)  # CR_*: the client lost or never had the server
_MYSQL_KEY = re.compile(r"for key '(?:[^'.]*\.)?(?P<key>[^']+)'")
_MYSQL_FK = re.compile(
    r"\(`[^`]*`\.`(?P<child>[^`]+)`, CONSTRAINT `(?P<name>[^`]+)` FOREIGN KEY .*?"
    r"REFERENCES `(?P<parent>[^`]+)`"
)

_PG_UNIQUE = re.compile(r'violates unique constraint "(?P<key>[^"]+)"')
# "UNIQUE constraint failed: users.email" (columns) or "...: index 'uq_x'" (an expression index).
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?:index '(?P<index>[^']+)'|(?P<columns>.+))$")
_PG_FK = re.compile(r'on table "(?P<parent>[^"]+)" violates foreign key constraint "(?P<name>[^"]+)"')
_PG_FK_CHILD = re.compile(r'on table "(?P<child>[^"]+)"\s*$')
_STATEMENT_TABLE = re.compile(r"^\s*(?:DELETE\s+FROM|UPDATE|INSERT\s+INTO)\s+\"?(\w+)", re.IGNORECASE)


def translate(error: BaseException) -> BaseException | None:
    """The application or domain error ``error`` stands for, or None when it is none of them."""
    if isinstance(error, sa_exc.IntegrityError):
        return _integrity(error)
    if isinstance(error, sa_exc.DBAPIError) and mysql_errno(error) in MYSQL_CHECK_FAILED:
        return Conflict("The change conflicts with existing data")  # as PostgreSQL's check_violation
    if isinstance(error, sa_exc.DBAPIError) and (_is_transient(error) or _savepoint_gone(error)):
        return TransientConflict()
    if isinstance(error, sa_exc.DBAPIError) and _is_invalid_data(error):
        return UnstorableValue()
    if is_unavailable(error):
        return DatabaseUnavailable()
    return None


def _integrity(error: sa_exc.IntegrityError) -> Exception:
    message = str(error.orig)
    errno = mysql_errno(error)
    if errno is not None:
        return _mysql_integrity(errno, message)
    key = unique_key(message)
    if key is not None:
        if key in UNIQUE_CONSTRAINTS:
            return AlreadyExists(*UNIQUE_CONSTRAINTS[key])
        return Conflict("The change conflicts with existing data")  # a primary key, say
    if "foreign key" in message.lower():
        return _foreign_key(message, str(error.statement or ""))
    return Conflict("The change conflicts with existing data")


def unique_key(message: str) -> str | None:
    """The unique constraint or index a PostgreSQL or SQLite violation names, exactly: the key
    of ``UNIQUE_CONSTRAINTS``. Never a substring search of the whole message, whose DETAIL line
    quotes the offending value: a hero named "users.email" must not read as a taken email."""
    first_line = message.strip().splitlines()[0] if message.strip() else ""
    pg = _PG_UNIQUE.search(first_line)
    if pg is not None:
        return pg["key"]
    sqlite = _SQLITE_UNIQUE.search(first_line)
    if sqlite is not None:
        return sqlite["index"] or sqlite["columns"].strip()
    return None


def _foreign_key(message: str, statement: str) -> Conflict:
    """PostgreSQL names the constraint; SQLite says only "FOREIGN KEY constraint failed", so the
    parent is the table the failed statement wrote, and the referrers are the foreign keys that
    may refuse a delete there."""
    found = _PG_FK.search(message)
    if found is not None:
        name, table = found["name"], found["parent"]
        if message.lstrip().lower().startswith("insert or update"):
            return Conflict(f"The {ENTITIES.get(table, table)} refers to a row that does not exist")
        child = _PG_FK_CHILD.search(message)
        referrer = FOREIGN_KEYS.get(name) or (child["child"].replace("_", " ") if child else "other rows")
        parent = _parent_of(name) or table
        return _still_referenced(parent, [referrer])
    table_match = _STATEMENT_TABLE.match(statement)
    table = table_match.group(1) if table_match else ""
    if statement.lstrip().upper().startswith("INSERT"):
        return Conflict(f"The {ENTITIES.get(table, table)} refers to a row that does not exist")
    referrers = [
        FOREIGN_KEYS.get(str(fk.name), fk.parent.name.replace("_", " "))
        for other in Base.metadata.tables.values()
        for fk in other.foreign_key_constraints
        if fk.referred_table.name == table
        and (fk.ondelete or "RESTRICT").upper() in ("RESTRICT", "NO ACTION")
    ]
    return _still_referenced(table, referrers or ["other rows"])


def _mysql_integrity(errno: int, message: str) -> Exception:
    """1062 names the key (``for key 'uq_users_email'``, MySQL 8: ``'users.uq_users_email'``);
    1451/1452 name the child table, the constraint and the parent."""
    key = _MYSQL_KEY.search(message)
    if errno == 1062 and key is not None and key["key"] in UNIQUE_CONSTRAINTS:
        return AlreadyExists(*UNIQUE_CONSTRAINTS[key["key"]])
    found = _MYSQL_FK.search(message)
    if errno in (1452, 1216) and found is not None:
        child = found["child"]
        return Conflict(f"The {ENTITIES.get(child, child)} refers to a row that does not exist")
    if errno in (1451, 1217) and found is not None:
        referrer = FOREIGN_KEYS.get(found["name"]) or found["child"].replace("_", " ")
        return _still_referenced(found["parent"], [referrer])
    return Conflict("The change conflicts with existing data")


def mysql_errno(error: BaseException) -> int | None:
    """The MariaDB/MySQL error number of a driver error (wrapped by SQLAlchemy or not)."""
    orig = error.orig if isinstance(error, sa_exc.DBAPIError) else error
    if isinstance(orig, asyncmy.errors.Error) and orig.args and isinstance(orig.args[0], int):
        return int(orig.args[0])
    return None


def _parent_of(constraint_name: str) -> str | None:
    for table in Base.metadata.tables.values():
        for fk in table.foreign_key_constraints:
            if fk.name == constraint_name:
                return fk.referred_table.name
    return None


def _still_referenced(table: str, referrers: list[str]) -> Conflict:
    entity = ENTITIES.get(table, table)
    return Conflict(f"{entity} is still referenced by {' and '.join(referrers)}; it cannot be deleted")


def _sqlstate(error: sa_exc.DBAPIError) -> str | None:
    for candidate in (error.orig, getattr(error.orig, "__cause__", None)):
        state = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(state, str):
            return state
    return None


def _is_transient(error: sa_exc.DBAPIError) -> bool:
    errno = mysql_errno(error)
    if errno is not None:
        return errno in MYSQL_TRANSIENT
    return _sqlstate(error) in TRANSIENT_SQLSTATES or any(
        m in str(error.orig) for m in TRANSIENT_SQLITE_MESSAGES
    )


def _savepoint_gone(error: sa_exc.DBAPIError) -> bool:
    """MariaDB rolls the whole transaction back on a deadlock, savepoints included: leaving the
    savepoint block then fails with 1305 "SAVEPOINT ... does not exist", hiding the deadlock.
    The transaction is gone either way, so the use case reruns."""
    return mysql_errno(error) == 1305 and "SAVEPOINT" in str(error.statement or "").upper()


def _is_invalid_data(error: sa_exc.DBAPIError) -> bool:
    """A PostgreSQL data exception (SQLSTATE class 22: a NUL character in text, a value too
    long or out of range) or MariaDB's: the request carried a value the column cannot hold."""
    errno = mysql_errno(error)
    if errno is not None:
        return errno in MYSQL_INVALID_DATA
    state = _sqlstate(error)
    return state is not None and state.startswith("22")


def is_unavailable(error: BaseException) -> bool:
    """True when ``error`` says the database is unreachable, stopped, overloaded or too slow
    (worth a 503 and a retry), False for errors in the statement or the data."""
    if isinstance(error, (sa_exc.TimeoutError, *_DRIVER_UNAVAILABLE)):
        return True
    if isinstance(error, asyncpg.PostgresError):
        return True  # the driver's own error, outside any statement: refused at connect
    errno = mysql_errno(error)
    if errno is not None and (
        not isinstance(error, sa_exc.DBAPIError)  # the driver's own, at connect or ping
        or error.statement is None
        or error.connection_invalidated
    ):
        return errno not in MYSQL_TRANSIENT
    if errno is not None:
        return errno in MYSQL_UNAVAILABLE or errno in _MYSQL_CLIENT_ERRORS

    if isinstance(error, sa_exc.DBAPIError):
        if _is_transient(error):
            return False
        state = _sqlstate(error)
        return (
            error.statement is None  # raised while connecting: unknown database or role, refused
            or (state is not None and state.startswith(UNAVAILABLE_SQLSTATE_PREFIXES))
            or error.connection_invalidated
            or isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError))
            or isinstance(error.orig, _DRIVER_UNAVAILABLE)
            or isinstance(getattr(error.orig, "__cause__", None), _DRIVER_UNAVAILABLE)
        )
    return False
