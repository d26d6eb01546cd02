"""Identity ports: users and login attempts (write side), the user query service (read side),
and ``IdentityUnitOfWork``, the repositories identity's use cases use.

Cross-context use (docs/adr/0011-per-context-layout.md): soft-deleting a user deactivates their
items, so this unit of work names the catalog's ``ItemRepository`` too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from application.identity.views import UserFilter, UserStatsView, UserView
from application.pagination import PageRequest, Slice
from application.ports import UnitOfWork
from domain.identity import User

if TYPE_CHECKING:  # contexts may refer to each other's ports; only the type checker follows them
    from application.catalog.ports import ItemRepository


class UserRepository(Protocol):
    async def add(self, user: User) -> User:
        """Raises ``AlreadyExists("User", "email" | "username")`` (username case-insensitive)."""
        ...

    async def get(self, user_id: int) -> User | None: ...
    async def get_by_email(self, email: str) -> User | None: ...
    async def get_by_login(self, login: str) -> User | None:
        """By lower-cased email or case-insensitive username."""
        ...

    async def update(self, user: User) -> None: ...
    async def delete(self, user_id: int) -> None:
        """Hard delete; the database cascades to everything the user owns, and raises
        ``Conflict`` when another context still refers to the user (ON DELETE RESTRICT)."""
        ...

    async def activate(self, user_ids: Sequence[int], now: datetime) -> int:
        """Activate every listed, inactive, non-deleted user in one statement; returns how many
        changed."""
        ...


@dataclass(frozen=True, slots=True)
class Attempts:
    """Login attempts counted under one key in its current window."""

    count: int
    window_started_at: datetime


class LoginThrottleRepository(Protocol):
    """Counts login attempts per key in fixed windows, shared by every worker and process."""

    async def count_attempt(self, key: str, now: datetime, window: timedelta) -> Attempts:
        """Adds one attempt under ``key`` and returns the count including it, in one atomic
        statement that holds the key's row until the unit of work ends: concurrent attempts on
        one key are counted one after the other, never both as the fifth. A window older than
        ``window`` starts again at ``now``."""
        ...

    async def forget(self, keys: Sequence[str]) -> None:
        """A successful login: the keys start from nothing again."""
        ...

    async def refused(self) -> None:
        """A guess was evaluated and was wrong (the adapter counts it in its metrics)."""
        ...

    async def purge(self, before: datetime) -> int:
        """Deletes the keys whose window started before ``before``; returns how many."""
        ...


class UserQueries(Protocol):
    async def private_view(self, user_id: int) -> UserView | None:
        """Non-deleted user with profile, one statement (it backs every authenticated call)."""
        ...

    async def list(self, flt: UserFilter, page: PageRequest) -> Slice[UserView]: ...
    async def stats(self) -> UserStatsView: ...


class IdentityUnitOfWork(UnitOfWork, Protocol):
    @property
    def users(self) -> UserRepository: ...
    @property
    def login_throttle(self) -> LoginThrottleRepository: ...
    @property
    def items(self) -> ItemRepository:
        """Catalog's: a soft-deleted user's items are deactivated in the same transaction."""
        ...
