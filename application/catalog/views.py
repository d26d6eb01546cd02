"""Catalog views and filters: the frozen dataclasses the catalog's use cases return and its query
service fills."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from application.preconditions import strong_etag
from domain.errors import DomainError


def item_etag(item_id: int, updated_at: datetime, owner_username: str) -> str:
    """Strong ETag of an item's representation: every change of the item bumps ``updated_at``
    (microseconds), and the one field it shows of another row, the owner's username, is part of
    the tag too, so a rename of the owner is a new representation."""
    return strong_etag("item", item_id, updated_at, owner_username)


@dataclass(frozen=True, slots=True)
class OwnerView:
    id: int
    username: str


@dataclass(frozen=True, slots=True)
class ItemView:
    id: int
    title: str
    description: str | None
    price: Decimal
    is_active: bool
    owner: OwnerView
    tags: list[str]
    created_at: datetime
    updated_at: datetime

    @property
    def etag(self) -> str:
        return item_etag(self.id, self.updated_at, self.owner.username)


@dataclass(frozen=True, slots=True)
class ItemFilter:
    q: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    tags: tuple[str, ...] = ()
    owner_id: int | None = None
    is_active: bool | None = True


@dataclass(frozen=True, slots=True)
class TagView:
    name: str
    item_count: int


@dataclass(frozen=True, slots=True)
class ItemStatsView:
    total_items: int
    active_items: int
    avg_price: Decimal | None
    min_price: Decimal | None
    max_price: Decimal | None
    top_tags: list[TagView]


@dataclass(frozen=True, slots=True)
class BatchResultView:
    """One element of a batch: ``id`` when created, ``error`` when it failed."""

    index: int
    id: int | None = None
    error: DomainError | None = None

    @property
    def created(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class BatchView:
    created: int
    failed: int
    results: list[BatchResultView]
