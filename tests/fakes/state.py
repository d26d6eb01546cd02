"""The in-memory database every fake repository works on.

Committed state lives in ``FakeDatabase.state``; a unit of work (``tests/fakes/uow.py``) works
on a deep copy and swaps it in on commit, so an abandoned or failed unit of work leaves nothing
behind, exactly as a rolled back transaction. The fakes enforce what the database enforces
(unique keys, foreign keys with their CASCADE or RESTRICT, savepoints), and the repository
contract tests run the same assertions against them and against every SQL engine, so a fake
cannot drift.

Each repository call is a "statement": it is recorded in ``FakeDatabase.statements`` (with
``for_update`` where the port takes it), and ``FakeDatabase.fail(statement, times)`` makes the
next calls of a statement (or ``"commit"``) lose a race with ``TransientConflict``.
"""

from __future__ import annotations

import copy
import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from application.errors import TransientConflict
from application.idempotency import StoredResponse
from domain.blog import Post
from domain.catalog import Item
from domain.errors import Conflict
from domain.identity import User
from domain.ledger import Account, Entry, Transfer
from domain.ordering import Order
from domain.teams import Hero, Membership, Team


@dataclass
class FakeState:
    users: dict[int, User] = field(default_factory=dict)
    login_throttles: dict[str, tuple[int, datetime]] = field(default_factory=dict)  # key → (count, start)
    items: dict[int, Item] = field(default_factory=dict)
    tags: dict[str, int] = field(default_factory=dict)  # name → id
    accounts: dict[int, Account] = field(default_factory=dict)
    entries: dict[int, Entry] = field(default_factory=dict)
    transfers: dict[int, Transfer] = field(default_factory=dict)
    teams: dict[int, Team] = field(default_factory=dict)
    heroes: dict[int, Hero] = field(default_factory=dict)
    memberships: dict[tuple[int, int], Membership] = field(default_factory=dict)  # (team, hero) →
    orders: dict[int, Order] = field(default_factory=dict)  # each with its lines
    order_totals: dict[int, Decimal] = field(default_factory=dict)  # the stored total (``save``)
    posts: dict[int, Post] = field(default_factory=dict)
    # (user id, key) → (fingerprint, response or None while in flight, claimed at)
    idempotency_keys: dict[tuple[int, str], tuple[str, StoredResponse | None, datetime]] = field(
        default_factory=dict
    )
    # Rows another context still refers to with ON DELETE RESTRICT: (table, id) → who refers.
    # Deleting them, directly or by a cascade, is the same ``Conflict`` SQL raises.
    references: dict[tuple[str, int], str] = field(default_factory=dict)
    next_id: dict[str, int] = field(default_factory=dict)

    def new_id(self, table: str) -> int:
        self.next_id[table] = self.next_id.get(table, 0) + 1
        return self.next_id[table]

    def __deepcopy__(self, memo: dict[int, Any]) -> FakeState:
        """A deep copy that shares what cannot change (strings, numbers, datetimes, tuples and
        frozen dataclasses of those) and copies everything else: the same result as
        ``copy.deepcopy`` field by field, several times faster. Every unit of work copies the
        state on entry and on commit, so this is most of a unit test's time."""
        copied = copy.copy(self)
        for f in dataclasses.fields(self):
            setattr(copied, f.name, _copy(getattr(self, f.name), memo))
        return copied


_IMMUTABLE = (str, int, float, bool, bytes, Decimal, datetime, type(None))


def _copy(value: Any, memo: dict[int, Any]) -> Any:
    if isinstance(value, _IMMUTABLE):
        return value
    if isinstance(value, tuple) and all(isinstance(v, _IMMUTABLE) for v in value):
        return value
    if isinstance(value, dict):
        return {_copy(k, memo): _copy(v, memo) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if getattr(type(value), "__dataclass_params__").frozen and all(  # noqa: B009
            isinstance(getattr(value, f.name), _IMMUTABLE) for f in dataclasses.fields(value)
        ):
            return value
        row = copy.copy(value)
        for f in dataclasses.fields(value):
            object.__setattr__(row, f.name, _copy(getattr(value, f.name), memo))
        return row
    return copy.deepcopy(value, memo)


ENTITIES = {"users": "User", "items": "Item", "accounts": "Account"}


def _order_referrer(state: FakeState, table: str, row_id: int) -> str | None:
    """What of the ordering context refers to the row (its foreign keys are RESTRICT)."""
    for order in state.orders.values():
        if table == "users" and order.buyer_id == row_id:
            return "their orders"
        if table == "users" and any(line.seller_id == row_id for line in order.lines):
            return "orders of their items"
        if table == "items" and any(line.item_id == row_id for line in order.lines):
            return "order lines"
    return None


def still_referenced(state: FakeState, table: str, row_id: int) -> None:
    """The RESTRICT check: the same error the SQL unit of work translates a violation into."""
    referrer = state.references.get((table, row_id)) or _order_referrer(state, table, row_id)
    if referrer is not None:
        raise Conflict(f"{ENTITIES[table]} is still referenced by {referrer}; it cannot be deleted")


@dataclass(frozen=True)
class Statement:
    name: str
    for_update: bool = False


class FakeDatabase:
    def __init__(self) -> None:
        self.state = FakeState()
        self.commits = 0
        self.refused_logins = 0
        self.statements: list[Statement] = []
        self._failures: Counter[str] = Counter()

    def fail(self, statement: str, times: int = 1) -> None:
        """The next ``times`` runs of ``statement`` (``"items.add"``, ``"commit"``...) lose a
        race, like a PostgreSQL deadlock or serialization failure."""
        self._failures[statement] += times

    def run(self, name: str, *, for_update: bool = False) -> None:
        self.statements.append(Statement(name, for_update))
        if self._failures[name] > 0:
            self._failures[name] -= 1
            raise TransientConflict()

    def reset(self) -> None:
        self.state = FakeState()
        self.statements.clear()
