"""Catalog use cases: items (create, read, list, replace, patch, delete, transfer, batch import),
tags and catalog statistics.

Authorisation (owner or superuser) and ``If-Match`` preconditions are decided here, so the
unit tests cover them; routers only parse and shape. Every write runs through ``Transactions``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from application.catalog.ports import CatalogUnitOfWork, ItemQueries
from application.catalog.views import (
    BatchResultView,
    BatchView,
    ItemFilter,
    ItemStatsView,
    ItemView,
    TagView,
    item_etag,
)
from application.common import UNSET, Actor, Unset
from application.identity.ports import UserQueries
from application.pagination import CursorCodec, Page, PageParams, scope_of
from application.ports import Clock
from application.preconditions import require_match
from application.transactions import Transactions
from domain.catalog import TAG_RE, Item, parse_price
from domain.errors import DomainError, InvalidInput, NotFound
from domain.text import check_text

ITEM_SORTS = ("created_at", "price", "title")
TAG_SORTS = ("name", "item_count")
MAX_BATCH = 1000
MAX_TAG_FILTERS = 20
BATCH_FIELDS = frozenset({"title", "description", "price", "is_active", "tags"})

CatalogTransactions = Transactions[CatalogUnitOfWork]


def _not_found(item_id: int) -> NotFound:
    return NotFound(f"Item {item_id} not found")


async def _load_for_write(uow: CatalogUnitOfWork, actor: Actor, item_id: int, if_match: str | None) -> Item:
    item = await uow.items.get(item_id, for_update=True)
    if item is None:
        raise _not_found(item_id)
    actor.require_owner_or_superuser(item.owner_id)
    assert item.id is not None and item.updated_at is not None
    item_id, updated_at = item.id, item.updated_at

    async def current() -> str:  # only a real tag needs the owner's name
        owner = await uow.users.get(item.owner_id)
        return item_etag(item_id, updated_at, owner.username if owner is not None else "")

    await require_match(if_match, current, "item")
    return item


# --- commands -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateItemCommand:
    title: str
    price: Decimal | str | int
    description: str | None = None
    is_active: bool = True
    tags: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class ReplaceItemCommand:
    """PUT: every writable field."""

    title: str
    price: Decimal | str | int
    description: str | None
    is_active: bool
    tags: Sequence[str]


@dataclass(frozen=True, slots=True)
class PatchItemCommand:
    """PATCH: ``UNSET`` fields are left alone; ``tags`` replaces the whole set when given."""

    title: str | Unset = UNSET
    price: Decimal | str | int | Unset = UNSET
    description: str | Unset | None = UNSET
    is_active: bool | Unset = UNSET
    tags: Sequence[str] | Unset = UNSET


@dataclass(frozen=True, slots=True)
class ListItemsQuery:
    q: str | None = None
    min_price: Decimal | str | None = None
    max_price: Decimal | str | None = None
    tags: Sequence[str] = field(default_factory=tuple)
    owner_id: int | None = None
    is_active: bool | None = True


# --- write use cases ------------------------------------------------------------------------------


class _ItemWrite:
    def __init__(self, tx: CatalogTransactions, queries: ItemQueries, clock: Clock) -> None:
        self._tx, self._queries, self._clock = tx, queries, clock

    async def _view(self, item_id: int) -> ItemView:
        """The committed item as every reader will see it (owner name and tags included)."""
        view = await self._queries.get(item_id)
        if view is None:  # deleted by someone else right after our commit
            raise _not_found(item_id)
        return view

    async def _revise(
        self, actor: Actor, item_id: int, cmd: ReplaceItemCommand | PatchItemCommand, if_match: str | None
    ) -> ItemView:
        async def work(uow: CatalogUnitOfWork) -> None:
            item = await _load_for_write(uow, actor, item_id, if_match)
            changed = item.revise(
                self._clock.now(),
                title=cmd.title,
                price=cmd.price,
                description=cmd.description,
                is_active=cmd.is_active,
                tags=cmd.tags,
            )
            if changed:
                await uow.items.update(item)

        await self._tx(work)
        return await self._view(item_id)


class CreateItem(_ItemWrite):
    async def __call__(self, actor: Actor, cmd: CreateItemCommand) -> ItemView:
        def build() -> Item:
            return Item.new(
                title=cmd.title,
                price=cmd.price,
                owner_id=actor.user_id,
                now=self._clock.now(),
                description=cmd.description,
                is_active=cmd.is_active,
                tags=cmd.tags,
            )

        build()  # validate before touching the database

        async def work(uow: CatalogUnitOfWork) -> int:
            item = await uow.items.add(build())
            assert item.id is not None
            return item.id

        return await self._view(await self._tx(work))


class ReplaceItem(_ItemWrite):
    async def __call__(
        self, actor: Actor, item_id: int, cmd: ReplaceItemCommand, *, if_match: str | None = None
    ) -> ItemView:
        return await self._revise(actor, item_id, cmd, if_match)


class PatchItem(_ItemWrite):
    async def __call__(
        self, actor: Actor, item_id: int, cmd: PatchItemCommand, *, if_match: str | None = None
    ) -> ItemView:
        return await self._revise(actor, item_id, cmd, if_match)


class DeleteItem:
    """Hard delete by the owner or a superuser. An item an order still references cannot go
    (``Conflict``, raised by the unit of work from the foreign key): deactivate it instead."""

    def __init__(self, tx: CatalogTransactions) -> None:
        self._tx = tx

    async def __call__(self, actor: Actor, item_id: int, *, if_match: str | None = None) -> None:
        async def work(uow: CatalogUnitOfWork) -> None:
            await _load_for_write(uow, actor, item_id, if_match)
            await uow.items.delete(item_id)

        await self._tx(work)


class TransferItem(_ItemWrite):
    async def __call__(self, actor: Actor, item_id: int, new_owner_id: int) -> ItemView:
        async def work(uow: CatalogUnitOfWork) -> None:
            item = await _load_for_write(uow, actor, item_id, None)
            new_owner = await uow.users.get(new_owner_id)
            if new_owner is None or not new_owner.can_log_in:
                raise InvalidInput(
                    f"new_owner_id {new_owner_id} is not an existing, active user", "new_owner_id"
                )
            if item.transfer_to(self._clock.now(), new_owner_id):
                await uow.items.update(item)  # AlreadyExists when the new owner has this title

        await self._tx(work)
        return await self._view(item_id)


def parse_batch_element(raw: object, owner_id: int, clock: Clock) -> Item:
    """One raw batch element → an ``Item``, with the same rules as ``POST /items``."""
    if not isinstance(raw, Mapping):
        raise InvalidInput("each element must be an object", None)
    unknown = sorted(str(k) for k in raw if k not in BATCH_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(unknown)}", unknown[0])
    for required in ("title", "price"):
        if required not in raw:
            raise InvalidInput(f"{required} is required", required)
    if not isinstance(raw["title"], str):
        raise InvalidInput("title must be a string", "title")
    description = raw.get("description")
    if description is not None and not isinstance(description, str):
        raise InvalidInput("description must be a string or null", "description")
    is_active = raw.get("is_active", True)
    if not isinstance(is_active, bool):
        raise InvalidInput("is_active must be true or false", "is_active")
    tags = raw.get("tags", [])
    if not isinstance(tags, list):
        raise InvalidInput("tags must be a list of strings", "tags")
    return Item.new(
        title=raw["title"],
        price=parse_price(raw["price"]),
        owner_id=owner_id,
        now=clock.now(),
        description=description,
        is_active=is_active,
        tags=tags,
    )


class BatchCreateItems:
    """Each element is validated on its own and stored in its own savepoint: a failed element
    leaves nothing behind and never costs the good ones. One commit at the end. A lost race
    (``TransientConflict``) is not a ``DomainError``: it leaves the loop and the transaction
    helper runs the whole batch again."""

    def __init__(self, tx: CatalogTransactions, clock: Clock) -> None:
        self._tx, self._clock = tx, clock

    async def __call__(self, actor: Actor, elements: Sequence[object]) -> BatchView:
        if len(elements) > MAX_BATCH:
            raise InvalidInput(f"at most {MAX_BATCH} items per batch", "items")

        async def work(uow: CatalogUnitOfWork) -> list[BatchResultView]:
            results: list[BatchResultView] = []
            for index, raw in enumerate(elements):
                try:
                    item = parse_batch_element(raw, actor.user_id, self._clock)
                    async with uow.savepoint():
                        item = await uow.items.add(item)
                except DomainError as error:
                    results.append(BatchResultView(index, error=error))
                else:
                    results.append(BatchResultView(index, id=item.id))
            return results

        results = await self._tx(work)
        created = sum(r.created for r in results)
        return BatchView(created=created, failed=len(results) - created, results=results)


# --- read use cases -------------------------------------------------------------------------------


class GetItem:
    def __init__(self, queries: ItemQueries) -> None:
        self._queries = queries

    async def __call__(self, item_id: int) -> ItemView:
        view = await self._queries.get(item_id)
        if view is None:
            raise _not_found(item_id)
        return view


def _tag_filter(tags: Sequence[str]) -> tuple[str, ...]:
    names = sorted({t.strip().lower() for t in tags})
    if len(names) > MAX_TAG_FILTERS:
        raise InvalidInput(f"at most {MAX_TAG_FILTERS} tag filters", "tag")
    for name in names:
        if not TAG_RE.fullmatch(name):
            raise InvalidInput(f"tag {name!r} must be 1-50 characters of a-z, 0-9 and -", "tag")
    return tuple(names)


def item_filter(query: ListItemsQuery) -> ItemFilter:
    min_price = parse_price(query.min_price, "min_price") if query.min_price is not None else None
    max_price = parse_price(query.max_price, "max_price") if query.max_price is not None else None
    if min_price is not None and max_price is not None and min_price > max_price:
        raise InvalidInput("min_price must not be greater than max_price", "min_price")
    return ItemFilter(
        q=check_text(query.q, "q") if query.q else None,
        min_price=min_price,
        max_price=max_price,
        tags=_tag_filter(query.tags),
        owner_id=query.owner_id,
        is_active=query.is_active,
    )


def _scope(flt: ItemFilter) -> str:
    return scope_of("items", flt.q, flt.min_price, flt.max_price, flt.tags, flt.owner_id, flt.is_active)


class ListItems:
    def __init__(self, queries: ItemQueries, cursors: CursorCodec) -> None:
        self._queries, self._cursors = queries, cursors

    async def __call__(self, query: ListItemsQuery, params: PageParams) -> Page[ItemView]:
        flt = item_filter(query)
        scope = _scope(flt)
        request = self._cursors.page_request(params, ITEM_SORTS, scope)
        return self._cursors.page(request, await self._queries.list(flt, request), scope)


class ListUserItems:
    """A user's active items; unknown or soft-deleted users are 404."""

    def __init__(self, users: UserQueries, items: ListItems) -> None:
        self._users, self._items = users, items

    async def __call__(self, user_id: int, params: PageParams) -> Page[ItemView]:
        if await self._users.private_view(user_id) is None:
            raise NotFound(f"User {user_id} not found")
        return await self._items(ListItemsQuery(owner_id=user_id, is_active=True), params)


class ListTags:
    def __init__(self, queries: ItemQueries, cursors: CursorCodec) -> None:
        self._queries, self._cursors = queries, cursors

    async def __call__(self, params: PageParams) -> Page[TagView]:
        scope = scope_of("tags")
        request = self._cursors.page_request(params, TAG_SORTS, scope)
        return self._cursors.page(request, await self._queries.tags(request), scope)


class GetItemStats:
    def __init__(self, queries: ItemQueries) -> None:
        self._queries = queries

    async def __call__(self) -> ItemStatsView:
        return await self._queries.stats()
