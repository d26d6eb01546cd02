"""MariaDB's errors, classified by error number (``errors.translate``) as PostgreSQL's are by
SQLSTATE: lost races rerun, outages are 503, refused values 422, constraint violations domain
errors naming the field or the referrer; anything else stays a bug (no database needed)."""

from __future__ import annotations

import asyncmy.errors
import pytest
from sqlalchemy import exc as sa_exc

from application.errors import DatabaseUnavailable, TransientConflict, UnstorableValue
from domain.errors import AlreadyExists, Conflict
from infrastructure.persistence.errors import translate


def _error(
    kind: type[sa_exc.DBAPIError], errno: int, message: str, statement: str | None = "UPDATE users SET x = 1"
) -> sa_exc.DBAPIError:
    driver = {sa_exc.IntegrityError: asyncmy.errors.IntegrityError}.get(kind, asyncmy.errors.OperationalError)
    return kind(statement, {}, driver(errno, message))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("errno", "statement"),
    [
        (1213, "UPDATE users SET x = 1"),  # deadlock
        (1205, "UPDATE users SET x = 1"),  # lock wait timeout (statement rolled back only)
        (1305, "ROLLBACK TO SAVEPOINT sa_savepoint_4"),  # the deadlock took the savepoint away
    ],
)
def test_lost_races_are_transient(errno: int, statement: str) -> None:
    assert isinstance(translate(_error(sa_exc.OperationalError, errno, "lost", statement)), TransientConflict)


@pytest.mark.parametrize("errno", [2003, 2006, 2013, 1040, 1045, 1049, 1053, 1927, 1969])
def test_outages_are_unavailable(errno: int) -> None:
    assert isinstance(translate(_error(sa_exc.OperationalError, errno, "gone")), DatabaseUnavailable)
    assert isinstance(translate(asyncmy.errors.OperationalError(errno, "gone")), DatabaseUnavailable)


@pytest.mark.parametrize("errno", [1366, 1406, 1264, 1292])
def test_values_the_column_cannot_hold_are_unstorable(errno: int) -> None:
    assert isinstance(translate(_error(sa_exc.DataError, errno, "bad value")), UnstorableValue)


@pytest.mark.parametrize("errno", [1054, 1064, 1146, 1305])
def test_bugs_stay_bugs(errno: int) -> None:
    assert translate(_error(sa_exc.ProgrammingError, errno, "bug", "SELECT nope FROM users")) is None


def test_duplicate_key_names_the_field_whatever_the_value_says() -> None:
    message = "Duplicate entry 'uq_users_email' for key 'uq_users_username_lower'"
    found = translate(_error(sa_exc.IntegrityError, 1062, message))
    assert isinstance(found, AlreadyExists) and (found.entity, found.field) == ("User", "username")
    mysql8 = translate(
        _error(sa_exc.IntegrityError, 1062, "Duplicate entry 'a' for key 'users.uq_users_email'")
    )
    assert isinstance(mysql8, AlreadyExists) and mysql8.field == "email"


def test_foreign_keys_name_the_referrer_or_the_missing_row() -> None:
    refused = translate(
        _error(
            sa_exc.IntegrityError,
            1451,
            "Cannot delete or update a parent row: a foreign key constraint fails (`db`.`order_lines`, "
            "CONSTRAINT `fk_order_lines_ref_id_items` FOREIGN KEY (`ref_id`) REFERENCES `items` (`id`))",
        )
    )
    assert isinstance(refused, Conflict) and "Item is still referenced by order lines" in str(refused)
    missing = translate(
        _error(
            sa_exc.IntegrityError,
            1452,
            "Cannot add or update a child row: a foreign key constraint fails (`db`.`items`, "
            "CONSTRAINT `fk_items_owner_id_users` FOREIGN KEY (`owner_id`) REFERENCES `users` (`id`))",
        )
    )
    assert isinstance(missing, Conflict) and "Item refers to a row that does not exist" in str(missing)
