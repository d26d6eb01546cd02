"""Property: over random catalogs with many equal sort values, walking ``next_cursor`` visits
every matching item exactly once, in order, for every sort (ascending and descending); so does
offset paging. Runs against the fakes, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.catalog import ListItemsQuery
from application.pagination import PageParams
from domain.catalog import Item
from domain.identity import User
from tests.integration.conftest import Backend

SORTS = ["created_at", "-created_at", "price", "-price", "title", "-title"]
rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(["0.00", "1.00", "2.50", "2.50", "10.00"]),  # many equal prices
        st.sampled_from(["a", "b", "ab", "B"]),  # many equal titles (different owners)
        st.integers(0, 2),  # many equal created_at
        st.booleans(),  # is_active
    ),
    max_size=14,
)


def _key(item: Any, field: str) -> Any:
    return getattr(item, field)


async def _load(backend: Backend, rows: list[tuple[str, str, int, bool]]) -> None:
    await backend.clear()
    base = backend.clock.now()
    async with backend.uow() as uow:
        for i, (price, title, age, active) in enumerate(rows):
            owner = await uow.users.add(
                User(
                    email=f"u{i}@x.io", username=f"u{i}", password_hash="h", created_at=base, updated_at=base
                )
            )
            at = base + timedelta(seconds=age)
            assert owner.id is not None
            await uow.items.add(
                Item(
                    title=title,
                    price=Decimal(price),
                    owner_id=owner.id,
                    is_active=active,
                    created_at=at,
                    updated_at=at,
                )
            )
        await uow.commit()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_strategy, limit=st.integers(1, 4), active_only=st.booleans())
async def test_cursor_and_offset_walks_visit_every_match_once_in_order(
    backend: Backend, rows: list[tuple[str, str, int, bool]], limit: int, active_only: bool
) -> None:
    await _load(backend, rows)
    list_items = backend.container.catalog.list_items()
    query = ListItemsQuery(is_active=True if active_only else None)
    everything = await list_items(ListItemsQuery(is_active=None), PageParams("created_at", limit=100))
    matching = [v for v in everything.items if v.is_active or not active_only]
    for sort in SORTS:
        field, descending = sort.lstrip("-"), sort.startswith("-")
        expected = [v.id for v in sorted(matching, key=lambda v: (_key(v, field), v.id), reverse=descending)]
        seen: list[int] = []
        cursor: str | None = None
        for _ in range(len(matching) + 2):
            page = await list_items(query, PageParams(sort, limit=limit, cursor=cursor))
            assert page.total == len(matching)
            seen += [v.id for v in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == expected, (sort, limit)
        by_offset: list[int] = []
        for offset in range(0, len(matching) + limit, limit):
            page = await list_items(query, PageParams(sort, limit=limit, offset=offset))
            by_offset += [v.id for v in page.items]
            assert (page.next_cursor is None) == (offset + limit >= len(matching))
        assert by_offset == expected, (sort, limit)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_strategy, extra=rows_strategy, limit=st.integers(1, 4), sort=st.sampled_from(SORTS))
async def test_cursor_walk_survives_concurrent_inserts(
    backend: Backend,
    rows: list[tuple[str, str, int, bool]],
    extra: list[tuple[str, str, int, bool]],
    limit: int,
    sort: str,
) -> None:
    """Rows inserted between pages never make the walk repeat or skip an item that was there
    from the start, and the walk stays in order."""
    await _load(backend, rows)
    list_items = backend.container.catalog.list_items()
    query = ListItemsQuery(is_active=None)
    original = {v.id for v in (await list_items(query, PageParams("created_at", limit=100))).items}
    field, descending = sort.lstrip("-"), sort.startswith("-")
    seen: list[Any] = []
    page = await list_items(query, PageParams(sort, limit=limit))
    seen += page.items
    base = backend.clock.now()
    async with backend.uow() as uow:  # other clients insert while we walk
        for i, (price, title, age, active) in enumerate(extra):
            owner = await uow.users.add(
                User(
                    email=f"x{i}@x.io", username=f"x{i}", password_hash="h", created_at=base, updated_at=base
                )
            )
            at = base + timedelta(seconds=age - 1)
            assert owner.id is not None
            await uow.items.add(
                Item(
                    title=title,
                    price=Decimal(price),
                    owner_id=owner.id,
                    is_active=active,
                    created_at=at,
                    updated_at=at,
                )
            )
        await uow.commit()
    cursor = page.next_cursor
    while cursor is not None:
        page = await list_items(query, PageParams(sort, limit=limit, cursor=cursor))
        seen += page.items
        cursor = page.next_cursor
    ids = [v.id for v in seen]
    assert len(ids) == len(set(ids)), "an item was visited twice"
    assert original <= set(ids), "an item present from the start was skipped"
    keys = [(_key(v, field), v.id) for v in seen]
    assert keys == sorted(keys, reverse=descending)
