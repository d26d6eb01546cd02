"""Fakes of the catalog's ports: items and tags (write side), item queries (read side)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from application.catalog.views import ItemFilter, ItemStatsView, ItemView, OwnerView, TagView
from application.pagination import PageRequest, Slice
from domain.catalog import Item
from domain.errors import AlreadyExists, Conflict
from domain.money import CENT
from tests.fakes.paging import fake_page
from tests.fakes.state import FakeDatabase, FakeState, still_referenced

if TYPE_CHECKING:
    from tests.fakes.uow import FakeUnitOfWork


def _check_unique_item(state: FakeState, item: Item) -> None:
    for other in state.items.values():
        if (
            other.id != item.id
            and other.owner_id == item.owner_id
            and other.title.lower() == item.title.lower()
        ):
            raise AlreadyExists("Item", "title")


class FakeTagRepository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    async def ensure(self, names: Sequence[str]) -> dict[str, int]:
        self._uow.db.run("tags.ensure")
        tags = self._uow.state.tags
        for name in sorted(set(names)):
            if name not in tags:
                tags[name] = self._uow.state.new_id("tags")
        return {name: tags[name] for name in names}


class FakeItemRepository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def _items(self) -> dict[int, Item]:
        return self._uow.state.items

    async def add(self, item: Item) -> Item:
        self._uow.db.run("items.add")
        _check_unique_item(self._uow.state, item)
        if item.owner_id not in self._uow.state.users:  # the foreign key to users
            raise Conflict("The Item refers to a row that does not exist")
        await FakeTagRepository(self._uow).ensure(item.tags)
        item.id = self._uow.state.new_id("items")
        self._items[item.id] = copy.deepcopy(item)
        return item

    async def get(self, item_id: int, *, for_update: bool = False) -> Item | None:
        self._uow.db.run("items.get", for_update=for_update)
        item = self._items.get(item_id)
        return copy.deepcopy(item) if item else None

    async def update(self, item: Item) -> None:
        self._uow.db.run("items.update")
        assert item.id in self._items
        _check_unique_item(self._uow.state, item)
        await FakeTagRepository(self._uow).ensure(item.tags)
        self._items[item.id] = copy.deepcopy(item)

    async def delete(self, item_id: int) -> None:
        self._uow.db.run("items.delete")
        still_referenced(self._uow.state, "items", item_id)
        self._items.pop(item_id, None)

    async def deactivate_owned_by(self, owner_id: int, now: datetime) -> int:
        self._uow.db.run("items.deactivate_owned_by")
        changed = 0
        for item in self._items.values():
            if item.owner_id == owner_id and item.is_active:
                item.is_active, item.updated_at = False, now
                changed += 1
        return changed


@dataclass(frozen=True)
class _TagRow:
    id: int
    name: str
    item_count: int


def item_view(state: FakeState, item: Item) -> ItemView:
    assert item.id is not None and item.created_at and item.updated_at
    owner = state.users[item.owner_id]
    return ItemView(
        id=item.id,
        title=item.title,
        description=item.description,
        price=item.price,
        is_active=item.is_active,
        owner=OwnerView(item.owner_id, owner.username),
        tags=list(item.tags),
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def item_matches(item: Item | ItemView, flt: ItemFilter) -> bool:
    """The reference semantics of an item filter (also used by tests against SQL)."""
    owner_id = item.owner_id if isinstance(item, Item) else item.owner.id
    if flt.is_active is not None and item.is_active != flt.is_active:
        return False
    if flt.owner_id is not None and owner_id != flt.owner_id:
        return False
    if flt.q and flt.q.lower() not in item.title.lower():
        return False
    if flt.min_price is not None and item.price < flt.min_price:
        return False
    if flt.max_price is not None and item.price > flt.max_price:
        return False
    return all(t in item.tags for t in flt.tags)


def _tag_rows(state: FakeState) -> list[_TagRow]:
    counts = {name: 0 for name in state.tags}
    for item in state.items.values():
        for name in item.tags:
            counts[name] += 1
    return [_TagRow(state.tags[n], n, c) for n, c in counts.items()]


class FakeItemQueries:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db

    async def get(self, item_id: int) -> ItemView | None:
        item = self._db.state.items.get(item_id)
        return item_view(self._db.state, item) if item else None

    async def list(self, flt: ItemFilter, page: PageRequest) -> Slice[ItemView]:
        state = self._db.state
        views = [item_view(state, i) for i in state.items.values() if item_matches(i, flt)]
        return fake_page(views, page)

    async def tags(self, page: PageRequest) -> Slice[TagView]:
        found = fake_page(_tag_rows(self._db.state), page)
        return Slice([TagView(r.name, r.item_count) for r in found.items], found.total, found.next_key)

    async def stats(self) -> ItemStatsView:
        items = list(self._db.state.items.values())
        prices = [i.price for i in items if i.is_active]
        top = sorted(
            (r for r in _tag_rows(self._db.state) if r.item_count), key=lambda r: (-r.item_count, r.name)
        )
        average = (
            (sum(prices, Decimal(0)) / len(prices)).quantize(CENT, rounding=ROUND_HALF_UP) if prices else None
        )
        return ItemStatsView(
            total_items=len(items),
            active_items=len(prices),
            avg_price=average,
            min_price=min(prices) if prices else None,
            max_price=max(prices) if prices else None,
            top_tags=[TagView(r.name, r.item_count) for r in top[:10]],
        )
