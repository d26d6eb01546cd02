"""Item/tag repository and item query contract: fakes, SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from application.catalog.views import ItemFilter
from application.common import Actor
from application.pagination import PageRequest, Sort
from domain.catalog import Item
from domain.errors import AlreadyExists, Conflict
from domain.identity import User
from infrastructure.persistence.native import statement_listeners
from tests.conftest import build_container
from tests.fakes import item_matches
from tests.integration.conftest import Backend


def new_item(backend: Backend, owner_id: int, title: str, price: str = "1.00", **extra: object) -> Item:
    return Item.new(title=title, price=price, owner_id=owner_id, now=backend.clock.now(), **extra)  # type: ignore[arg-type]


async def store(backend: Backend, *items: Item) -> list[int]:
    async with backend.uow() as uow:
        for item in items:
            await uow.items.add(item)
        await uow.commit()
    return [i.id for i in items if i.id is not None]


async def test_add_get_roundtrip_keeps_money_exact_and_tags(backend: Backend) -> None:
    owner = await backend.user("alice")
    prices = ["0.00", "0.01", "0.10", "19.90", "9999999999.99"]
    ids = await store(
        backend, *(new_item(backend, owner, f"t{i}", p, tags=["b", "a"]) for i, p in enumerate(prices))
    )
    async with backend.uow() as uow:
        loaded = [await uow.items.get(i) for i in ids]
        assert await uow.items.get(10**9) is None
    assert [str(i.price) for i in loaded if i] == prices
    assert all(i and i.tags == ("a", "b") for i in loaded)
    view = await backend.items.get(ids[-1])
    assert view is not None and view.price == Decimal("9999999999.99") and type(view.price) is Decimal
    assert (view.owner.username, view.tags) == ("alice", ["a", "b"])
    assert view.updated_at == loaded[-1].updated_at if loaded[-1] else False


async def test_unique_title_per_owner(backend: Backend) -> None:
    alice, bob = await backend.user("alice"), await backend.user("bob")
    await store(backend, new_item(backend, alice, "Lamp"))
    with pytest.raises(AlreadyExists) as info:
        await store(backend, new_item(backend, alice, "lAMP"))
    assert (info.value.entity, info.value.field) == ("Item", "title")
    await store(backend, new_item(backend, bob, "LAMP"))


async def test_update_replaces_tags_and_tags_are_shared(backend: Backend) -> None:
    owner = await backend.user("alice")
    first, second = await store(
        backend, new_item(backend, owner, "A", tags=["x", "y"]), new_item(backend, owner, "B", tags=["y"])
    )
    async with backend.uow() as uow:
        item = await uow.items.get(first, for_update=True)
        assert item is not None
        item.revise(backend.clock.now(), tags=["y", "z"], price="2.50", title="A2")
        await uow.items.update(item)
        await uow.commit()
    view = await backend.items.get(first)
    assert view and (view.tags, view.price, view.title) == (["y", "z"], Decimal("2.50"), "A2")
    page = await backend.items.tags(PageRequest(Sort("name"), limit=10))
    assert [(t.name, t.item_count) for t in page.items] == [("x", 0), ("y", 2), ("z", 1)]
    async with backend.uow() as uow:
        assert (await uow.tags.ensure(["y", "new"])).keys() == {"y", "new"}
        ids = await uow.tags.ensure(["y", "new"])
        assert len(set(ids.values())) == 2
    untouched = await backend.items.get(second)  # the shared tag "y" still labels B
    assert untouched is not None and untouched.tags == ["y"]


async def test_delete_and_deactivate_owned_by(backend: Backend) -> None:
    alice, bob = await backend.user("alice"), await backend.user("bob")
    a1, a2, b1 = await store(
        backend,
        new_item(backend, alice, "A1", tags=["t"]),
        new_item(backend, alice, "A2"),
        new_item(backend, bob, "B1"),
    )
    async with backend.uow() as uow:
        await uow.items.delete(a1)
        assert await uow.items.deactivate_owned_by(alice, backend.clock.now()) == 1
        await uow.commit()
    assert await backend.items.get(a1) is None
    a2_view, b1_view = await backend.items.get(a2), await backend.items.get(b1)
    assert a2_view and not a2_view.is_active and b1_view and b1_view.is_active


async def test_batch_savepoints_keep_good_elements_only(backend: Backend) -> None:
    owner = await backend.user("alice")
    elements: list[object] = [
        {"title": "Good", "price": "1", "tags": ["fresh-tag"]},
        {"title": "GOOD", "price": "2", "tags": ["other-tag"]},  # duplicate: its new tag must vanish too
        {"title": "Bad", "price": "-1"},
        {"title": "Fine", "price": 3.5},
    ]
    result = await backend.container.catalog.batch_create_items()(Actor(owner), elements)
    assert (result.created, result.failed) == (2, 2)
    page = await backend.items.list(ItemFilter(is_active=None), PageRequest(Sort("title"), limit=10))
    assert [(v.title, str(v.price)) for v in page.items] == [("Fine", "3.50"), ("Good", "1.00")]
    tags = await backend.items.tags(PageRequest(Sort("name"), limit=10))
    assert [t.name for t in tags.items] == ["fresh-tag"]


async def _random_catalog(backend: Backend, seed: int, n: int = 60) -> None:
    rng = random.Random(seed)
    owners = [await backend.user(f"user{i}") for i in range(4)]
    words = ["red", "blue", "lamp", "chair", "100%", "a_b", "Desk", "LAMP"]
    items = []
    for i in range(n):
        title = f"{rng.choice(words)} {rng.choice(words)} {i}"
        price = rng.choice(["0.00", "9.99", "10.00", "10.01", "99.90", "100.00", "1234.56"])
        tags = rng.sample(["a", "b", "c", "d"], rng.randint(0, 3))
        item = new_item(backend, rng.choice(owners), title, price, tags=tags, is_active=rng.random() < 0.8)
        items.append(item)
    await store(backend, *items)


async def test_filters_match_a_python_reference(backend: Backend) -> None:
    await _random_catalog(backend, 7)
    everything = await backend.items.list(ItemFilter(is_active=None), PageRequest(Sort("title"), limit=100))
    assert everything.total == 60 and len(everything.items) == 60
    owner = everything.items[0].owner.id
    filters = [
        ItemFilter(),
        ItemFilter(is_active=False),
        ItemFilter(q="lamp"),
        ItemFilter(q="%"),
        ItemFilter(q="_"),
        ItemFilter(q="a_b"),
        ItemFilter(q="0%"),
        ItemFilter(min_price=Decimal("9.99"), max_price=Decimal("10.01")),
        ItemFilter(min_price=Decimal("10.00"), is_active=None),
        ItemFilter(tags=("a", "b")),
        ItemFilter(tags=("a",), q="red", max_price=Decimal("100"), owner_id=owner, is_active=None),
    ]
    for flt in filters:
        expected = sorted(
            (v for v in everything.items if item_matches(v, flt)), key=lambda v: (v.price, v.id)
        )
        page = await backend.items.list(flt, PageRequest(Sort("price"), limit=100))
        assert [v.id for v in page.items] == [v.id for v in expected], flt
        assert page.total == len(expected)
    assert (await backend.items.list(ItemFilter(q="%"), PageRequest(Sort("price")))).total == sum(
        "%" in v.title and v.is_active for v in everything.items
    )


async def test_stats_match_python(backend: Backend) -> None:
    empty = await backend.items.stats()
    assert (empty.total_items, empty.active_items, empty.avg_price, empty.min_price, empty.max_price) == (
        0,
        0,
        None,
        None,
        None,
    )
    await _random_catalog(backend, 11)
    views = (
        await backend.items.list(ItemFilter(is_active=None), PageRequest(Sort("price"), limit=100))
    ).items
    active = [v.price for v in views if v.is_active]
    stats = await backend.items.stats()
    assert (stats.total_items, stats.active_items) == (len(views), len(active))
    assert stats.avg_price == (sum(active, Decimal(0)) / len(active)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    assert (stats.min_price, stats.max_price) == (min(active), max(active))
    counts: dict[str, int] = {}
    for v in views:
        for t in v.tags:
            counts[t] = counts.get(t, 0) + 1
    expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert [(t.name, t.item_count) for t in stats.top_tags] == expected
    users = await backend.users.stats()
    per_user: dict[int, int] = {}
    for v in views:
        per_user[v.owner.id] = per_user.get(v.owner.id, 0) + 1
    assert [(u.user_id, u.item_count) for u in users.top_users] == sorted(
        per_user.items(), key=lambda kv: (-kv[1], kv[0])
    )


async def test_a_referenced_item_cannot_be_deleted(backend: Backend) -> None:
    """The hook the ordering context relies on: its order lines refer to items with ON DELETE
    RESTRICT; the unit of work (or the fake, alike) turns the violation into ``Conflict``
    naming what refers to the item, and nothing is deleted."""
    owner = await backend.user("alice")
    (item_id,) = await store(backend, new_item(backend, owner, "Ref"))
    await backend.refer_to("items", item_id)
    with pytest.raises(Conflict) as refused:
        async with backend.uow() as uow:
            await uow.items.delete(item_id)
            await uow.commit()
    assert refused.value.detail.startswith("Item is still referenced by")
    if backend.name != "sqlite":  # SQLite names no constraint: it knows only the schema's own keys
        assert "order lines" in refused.value.detail
    assert await backend.items.get(item_id) is not None


async def test_hard_delete_of_a_user_cascades_to_items_and_tags(backend: Backend) -> None:
    alice, bob = await backend.user("alice"), await backend.user("bob")
    await store(backend, new_item(backend, alice, "A", tags=["x"]), new_item(backend, bob, "B", tags=["x"]))
    async with backend.uow() as uow:
        await uow.users.delete(alice)
        await uow.commit()
    page = await backend.items.list(ItemFilter(is_active=None), PageRequest(Sort("title"), limit=10))
    assert [v.title for v in page.items] == ["B"]
    tags = await backend.items.tags(PageRequest(Sort("name"), limit=10))
    assert [(t.name, t.item_count) for t in tags.items] == [("x", 1)]


async def test_hard_delete_of_a_user_whose_item_is_referenced_is_refused(backend: Backend) -> None:
    alice = await backend.user("alice")
    (item_id,) = await store(backend, new_item(backend, alice, "Sold"))
    await backend.refer_to("items", item_id)
    with pytest.raises(Conflict):
        async with backend.uow() as uow:
            await uow.users.delete(alice)
            await uow.commit()
    assert await backend.items.get(item_id) is not None
    assert await backend.users.private_view(alice) is not None


# --- PostgreSQL only ------------------------------------------------------------------------------


async def test_title_search_uses_the_trigram_index(db: AsyncEngine) -> None:
    rng = random.Random(3)
    words = ["vintage", "oak", "table", "lamp", "chair", "modern", "steel", "blue", "red", "desk", "sofa"]
    async with db.begin() as conn:
        user_id = await conn.scalar(
            text(
                "INSERT INTO users (email, username, password_hash, created_at, updated_at) "
                "VALUES ('e@x.io', 'explain', 'h', now(), now()) RETURNING id"
            )
        )
        rows = [
            {"t": f"{rng.choice(words)} {rng.choice(words)} {rng.choice(words)} #{i}", "p": Decimal(i % 500)}
            for i in range(20_000)
        ]
        await conn.execute(
            text(
                "INSERT INTO items (title, price, is_active, owner_id, created_at, updated_at) "
                f"VALUES (:t, :p, true, {int(user_id)}, now(), now())"
            ),
            rows,
        )
        await conn.execute(text("ANALYZE items"))
    queries = build_container(db).catalog.queries()
    sent: list[tuple[str, Any]] = []

    def capture(_conn, _cursor, statement, parameters, *_args):  # type: ignore[no-untyped-def]
        sent.append((statement, parameters))

    def capture_native(statement: str, args: Any) -> None:  # PostgreSQL's native read path
        sent.append((statement, tuple(args)))

    natives = statement_listeners(db)
    event.listen(db.sync_engine, "before_cursor_execute", capture)
    natives.append(capture_native)
    try:
        page = await queries.list(ItemFilter(q="#1234"), PageRequest(Sort("created_at"), limit=20))
    finally:
        event.remove(db.sync_engine, "before_cursor_execute", capture)
        natives.remove(capture_native)
    assert page.total == 11  # #1234 and #12340-#12349
    (statement, parameters), *_ = sent
    assert "ILIKE" in statement
    async with db.connect() as conn:
        # The plan of the very statement the query service sent, with its parameters.
        plan = "\n".join(r[0] for r in await conn.exec_driver_sql("EXPLAIN " + statement, parameters))
    assert "ix_items_title_trgm" in plan, plan
    assert "Seq Scan on items" not in plan, plan


async def test_concurrent_creation_of_the_same_new_tag(server_db: AsyncEngine) -> None:
    db = server_db
    container = build_container(db)
    uow_factory = container.core.uow()
    now = container.core.clock().now()
    async with uow_factory() as uow:
        owner = await uow.users.add(
            User(email="c@x.io", username="conc", password_hash="h", created_at=now, updated_at=now)
        )
        await uow.commit()
    assert owner.id is not None

    async def create(i: int) -> int | None:
        async with uow_factory() as uow:
            item = await uow.items.add(
                Item.new(
                    title=f"t{i}",
                    price="1",
                    owner_id=owner.id,
                    now=now + timedelta(seconds=i),
                    tags=["brand-new", f"own-{i}"],
                )
            )
            await asyncio.sleep(0.05)  # keep every transaction open while the others insert the tag
            await uow.commit()
            return item.id

    ids = await asyncio.gather(*(create(i) for i in range(5)))
    assert all(ids)
    async with db.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM tags WHERE name = 'brand-new'")) == 1
        assert (
            await conn.scalar(
                text("SELECT count(*) FROM item_tags JOIN tags ON tags.id = tag_id WHERE name = 'brand-new'")
            )
            == 5
        )
