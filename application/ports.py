"""Ports: what the use cases need from the outside world, as ``typing.Protocol``s.

Repositories load and store aggregates inside a unit of work; query services answer read
endpoints with ready-made views. ``infrastructure`` implements both over SQLAlchemy and
``tests/fakes.py`` implements both in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from types import TracebackType
from typing import Protocol

from application.pagination import PageRequest, Slice
from application.views import (
    ItemFilter,
    ItemStatsView,
    ItemView,
    TagView,
    UserFilter,
    UserStatsView,
    UserView,
)
from domain.catalog import Item
from domain.identity import User

# --- identity -----------------------------------------------------------------------------


class UserRepository(Protocol):
    async def add(self, user: User) -> User: ...
    async def get(self, user_id: int) -> User | None: ...
    async def get_by_email(self, email: str) -> User | None: ...
    async def get_by_login(self, login: str) -> User | None:
        """By lower-cased email or case-insensitive username."""
        ...

    async def update(self, user: User) -> None: ...
    async def delete(self, user_id: int) -> None:
        """Hard delete; the database cascades to everything the user owns."""
        ...

    async def activate(self, user_ids: Sequence[int], now: datetime) -> int:
        """Activate every listed, inactive, non-deleted user in one statement; returns how many
        changed."""
        ...


class LoginAttemptRepository(Protocol):
    async def failures_since(self, key: str, since: datetime) -> list[datetime]: ...
    async def record_failure(self, key: str, at: datetime) -> None: ...
    async def clear(self, key: str) -> None: ...


class UserQueries(Protocol):
    async def private_view(self, user_id: int) -> UserView | None:
        """Non-deleted user with profile, one statement (it backs every authenticated call)."""
        ...

    async def list(self, flt: UserFilter, page: PageRequest) -> Slice[UserView]: ...
    async def stats(self) -> UserStatsView: ...


# --- catalog ------------------------------------------------------------------------------------


class ItemRepository(Protocol):
    async def add(self, item: Item) -> Item:
        """Stores the item and its tags (creating new tags); raises ``AlreadyExists("Item",
        "title")`` when the owner already has an item with that title (case-insensitive)."""
        ...

    async def get(self, item_id: int, *, for_update: bool = False) -> Item | None:
        """With ``for_update`` the row stays locked until the unit of work ends, so a check of
        ``If-Match`` and the write that follows it see the same version."""
        ...

    async def update(self, item: Item) -> None:
        """Writes every field and replaces the tag set."""
        ...

    async def delete(self, item_id: int) -> None:
        """Raises ``Conflict`` when another context still references the item (an order line:
        the ordering context's foreign key is ON DELETE RESTRICT)."""
        ...

    async def deactivate_owned_by(self, owner_id: int, now: datetime) -> int:
        """Deactivates every active item of the owner in one statement; returns how many."""
        ...


class TagRepository(Protocol):
    async def ensure(self, names: Sequence[str]) -> dict[str, int]:
        """Ids of the named tags, creating the missing ones; a tag created concurrently by
        another transaction is not an error."""
        ...


class ItemQueries(Protocol):
    async def get(self, item_id: int) -> ItemView | None:
        """One statement: item, owner name and tags."""
        ...

    async def list(self, flt: ItemFilter, page: PageRequest) -> Slice[ItemView]: ...
    async def tags(self, page: PageRequest) -> Slice[TagView]: ...
    async def stats(self) -> ItemStatsView: ...


# --- unit of work ------------------------------------------------------------------------------


class UnitOfWork(Protocol):
    """One database transaction. Leaving the block without ``commit()`` rolls back."""

    users: UserRepository
    login_attempts: LoginAttemptRepository
    items: ItemRepository
    tags: TagRepository

    async def __aenter__(self) -> UnitOfWork: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...
    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """A nested transaction: an exception inside undoes only what the block did."""
        ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


# --- security and time -------------------------------------------------------------------------


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...
    async def verify(self, password: str, password_hash: str | None) -> tuple[bool, str | None]:
        """Returns (valid, new_hash). With ``password_hash=None`` it still spends the time of a
        real check and answers False, so unknown users cannot be told apart by timing. A
        ``new_hash`` is set when the stored hash used outdated parameters."""
        ...


class TokenService(Protocol):
    @property
    def expires_in(self) -> int: ...
    def issue(self, user_id: int) -> str: ...
    def subject(self, token: str) -> int:
        """The user id the token was issued for; raises ``Unauthorized`` if invalid or expired."""
        ...


class Clock(Protocol):
    def now(self) -> datetime: ...
