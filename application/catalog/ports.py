"""Catalog ports: items and tags (write side), the item query service (read side), and
``CatalogUnitOfWork``, the repositories the catalog's use cases use.

Cross-context use (docs/adr/0011-per-context-layout.md): a transfer checks the new owner through
identity's ``UserRepository``; a user's item list checks the user through ``UserQueries``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from application.catalog.views import ItemFilter, ItemStatsView, ItemView, TagView
from application.pagination import PageRequest, Slice
from application.ports import UnitOfWork
from domain.catalog import Item

if TYPE_CHECKING:  # contexts may refer to each other's ports; only the type checker follows them
    from application.identity.ports import UserRepository


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


class CatalogUnitOfWork(UnitOfWork, Protocol):
    @property
    def items(self) -> ItemRepository: ...
    @property
    def users(self) -> UserRepository:
        """Identity's: a transfer checks that the new owner is an active user."""
        ...
