"""Catalog use cases against the in-memory fakes: rules, authorisation, preconditions, batch."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from dependency_injector import providers

from application import catalog
from application.catalog.views import ItemView
from application.common import Actor
from application.errors import TransientConflict
from application.pagination import Page, PageParams
from application.preconditions import if_match_ok
from domain.catalog import Item, normalise_tags, parse_price
from domain.errors import (
    AlreadyExists,
    BadRequest,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
)
from domain.identity import User
from domain.money import parse_money
from tests.fakes import FakeItemQueries, Statement
from tests.fakes.container import Fakes


class Env(Fakes):
    """The container on fakes, with helpers for the catalog's use cases."""

    def user(self, name: str, **flags: object) -> Actor:
        user_id = self.db.state.new_id("users")
        now = self.clock.now()
        self.db.state.users[user_id] = User(
            email=f"{name}@x.io",
            username=name,
            password_hash="h",
            id=user_id,
            created_at=now,
            updated_at=now,
            **flags,  # type: ignore[arg-type]
        )
        return Actor(user_id, is_superuser=bool(flags.get("is_superuser")))

    @property
    def create(self) -> catalog.CreateItem:
        return self.catalog.create_item()

    @property
    def replace(self) -> catalog.ReplaceItem:
        return self.catalog.replace_item()

    @property
    def patch(self) -> catalog.PatchItem:
        return self.catalog.patch_item()

    @property
    def delete(self) -> catalog.DeleteItem:
        return self.catalog.delete_item()

    @property
    def transfer(self) -> catalog.TransferItem:
        return self.catalog.transfer_item()

    @property
    def batch(self) -> catalog.BatchCreateItems:
        return self.catalog.batch_create_items()

    async def list(
        self,
        query: catalog.ListItemsQuery,
        *,
        sort: str = "created_at",
        limit: int = 20,
        offset: int = 0,
        cursor: str | None = None,
    ) -> Page[ItemView]:
        return await self.catalog.list_items()(query, PageParams(sort, limit, offset, cursor))


@pytest.fixture
def env() -> Env:
    return Env()


def cmd(title: str = "Lamp", price: object = "19.90", **extra: object) -> catalog.CreateItemCommand:
    return catalog.CreateItemCommand(title=title, price=price, **extra)  # type: ignore[arg-type]


# --- domain rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("19.9", "19.90"),
        (19.9, "19.90"),
        (0, "0.00"),
        (1e2, "100.00"),
        ("007", "7.00"),
        ("999999999999.99", "999999999999.99"),
        (Decimal("5.1"), "5.10"),
        ("19.900", "19.90"),
    ],
)
def test_parse_money_accepts(raw: object, expected: str) -> None:
    assert parse_money(raw) == Decimal(expected)
    assert str(parse_money(raw)) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "1e400",
        1e400,
        "NaN",
        float("nan"),
        "Infinity",
        "-Infinity",
        -1,
        "-0.01",
        "1.234",
        0.001,
        True,
        None,
        [],
        "abc",
        "",
        10**12,
        "1000000000000",
        "1e-400",
        "0x10",
        "1e2",
        " 7 ",
        "+1",
        "1.",
        ".5",
        "١٢",
    ],
)
def test_parse_money_rejects(raw: object) -> None:
    with pytest.raises(InvalidInput):
        parse_money(raw)


def test_item_price_fits_numeric_12_2() -> None:
    assert parse_price("9999999999.99") == Decimal("9999999999.99")
    assert parse_money("99999999999.99") == Decimal("99999999999.99")  # 12 digits: valid money
    for too_big in ("10000000000", "99999999999.99", 1e11):
        with pytest.raises(InvalidInput):
            parse_price(too_big)


def test_tags_are_lowercased_deduplicated_sorted_and_bounded() -> None:
    assert normalise_tags(["Home", "home", " garden ", "a-1"]) == ("a-1", "garden", "home")
    with pytest.raises(InvalidInput):
        normalise_tags([f"t{i}" for i in range(21)])
    assert len(normalise_tags([f"t{i % 20}" for i in range(40)])) == 20
    for bad in ["", "a b", "x" * 51, "ü", "a_b"]:
        with pytest.raises(InvalidInput):
            normalise_tags([bad])


def test_item_change_bumps_updated_at_only_on_a_real_change(env: Env) -> None:
    now = env.clock.now()
    item = Item.new(title="A", price="1", owner_id=1, now=now, tags=["x"])
    assert not item.revise(env.clock.now(), title="A", price=Decimal("1.00"), tags=["X"])
    assert item.updated_at == now
    assert item.revise(env.clock.now(), price="2")
    assert item.updated_at != now


# --- create / get -------------------------------------------------------------------------------


async def test_create_item_normalises_and_is_readable(env: Env) -> None:
    alice = env.user("alice")
    view = await env.create(alice, cmd(tags=["Home", "light", "home"], description="Warm"))
    assert view.owner.username == "alice" and view.owner.id == alice.user_id
    assert view.price == Decimal("19.90") and view.tags == ["home", "light"]
    assert await env.catalog.get_item()(view.id) == view
    assert set(env.db.state.tags) == {"home", "light"}


async def test_duplicate_title_is_per_owner_and_case_insensitive(env: Env) -> None:
    alice, bob = env.user("alice"), env.user("bob")
    await env.create(alice, cmd("Lamp"))
    with pytest.raises(AlreadyExists) as info:
        await env.create(alice, cmd("LAMP"))
    assert (info.value.entity, info.value.field) == ("Item", "title")
    await env.create(bob, cmd("lamp"))
    assert len(env.db.state.items) == 2


async def test_create_rejects_bad_input(env: Env) -> None:
    alice = env.user("alice")
    for bad in (
        cmd(title=""),
        cmd(title="x" * 201),
        cmd(price="-1"),
        cmd(tags=["a b"]),
        cmd(description="d" * 5001),
    ):
        with pytest.raises(InvalidInput):
            await env.create(alice, bad)
    assert env.db.state.items == {}


async def test_get_unknown_item_is_not_found(env: Env) -> None:
    with pytest.raises(NotFound):
        await env.catalog.get_item()(42)


# --- replace / patch: ownership and If-Match ---------------------------------------------------


async def test_only_owner_or_superuser_may_change(env: Env) -> None:
    alice, bob, root = env.user("alice"), env.user("bob"), env.user("root", is_superuser=True)
    item = await env.create(alice, cmd())
    with pytest.raises(Forbidden):
        await env.patch(bob, item.id, catalog.PatchItemCommand(title="Mine"))
    with pytest.raises(Forbidden):
        await env.replace(bob, item.id, catalog.ReplaceItemCommand("T", "1", None, True, []))
    with pytest.raises(Forbidden):
        await env.delete(bob, item.id)
    with pytest.raises(Forbidden):
        await env.transfer(bob, item.id, bob.user_id)
    assert (await env.patch(root, item.id, catalog.PatchItemCommand(title="By root"))).title == "By root"
    with pytest.raises(NotFound):
        await env.patch(alice, 999, catalog.PatchItemCommand(title="x"))


async def test_if_match_guards_replace_patch_and_delete(env: Env) -> None:
    alice = env.user("alice")
    item = await env.create(alice, cmd())
    first = item.etag
    changed = await env.patch(alice, item.id, catalog.PatchItemCommand(price="5"), if_match=first)
    assert changed.price == Decimal("5.00") and changed.etag != first
    with pytest.raises(PreconditionFailed):
        await env.patch(alice, item.id, catalog.PatchItemCommand(price="6"), if_match=first)
    with pytest.raises(PreconditionFailed):
        await env.replace(
            alice, item.id, catalog.ReplaceItemCommand("T", "1", None, True, []), if_match=first
        )
    with pytest.raises(PreconditionFailed):
        await env.delete(alice, item.id, if_match=first)
    with pytest.raises(PreconditionFailed):  # weak tags never match strongly
        await env.patch(alice, item.id, catalog.PatchItemCommand(price="6"), if_match="W/" + changed.etag)
    assert (await env.catalog.get_item()(item.id)).price == Decimal("5.00")
    ok = await env.patch(alice, item.id, catalog.PatchItemCommand(price="6"), if_match=f'"x", {changed.etag}')
    assert ok.price == Decimal("6.00")
    assert (await env.patch(alice, item.id, catalog.PatchItemCommand(price="7"), if_match="*")).price == 7


def test_if_match_parsing() -> None:
    assert if_match_ok(None, '"a"')
    assert if_match_ok("*", '"a"')
    assert if_match_ok('"b", "a"', '"a"')
    assert not if_match_ok('W/"a"', '"a"')
    assert not if_match_ok('"b"', '"a"')


async def test_replace_sets_every_field_and_patch_only_given_ones(env: Env) -> None:
    alice = env.user("alice")
    item = await env.create(alice, cmd(description="d", tags=["a", "b"]))
    put = await env.replace(alice, item.id, catalog.ReplaceItemCommand("New", "2.5", None, False, ["C"]))
    assert (put.title, put.description, put.price, put.is_active, put.tags) == (
        "New",
        None,
        Decimal("2.50"),
        False,
        ["c"],
    )
    patched = await env.patch(alice, item.id, catalog.PatchItemCommand(tags=["x", "y"]))
    assert patched.tags == ["x", "y"] and patched.title == "New" and patched.is_active is False
    cleared = await env.patch(alice, item.id, catalog.PatchItemCommand(tags=[]))
    assert cleared.tags == []
    same = await env.patch(alice, item.id, catalog.PatchItemCommand(title="New"))
    assert same.etag == cleared.etag  # nothing changed: same version


async def test_patch_to_a_taken_title_is_already_exists(env: Env) -> None:
    alice = env.user("alice")
    await env.create(alice, cmd("One"))
    two = await env.create(alice, cmd("Two"))
    with pytest.raises(AlreadyExists):
        await env.patch(alice, two.id, catalog.PatchItemCommand(title="one"))


# --- delete -------------------------------------------------------------------------------------


async def test_delete_and_the_order_reference_conflict(env: Env) -> None:
    alice = env.user("alice")
    kept, gone = await env.create(alice, cmd("Kept")), await env.create(alice, cmd("Gone"))
    await env.delete(alice, gone.id)
    assert gone.id not in env.db.state.items
    env.db.state.references[("items", kept.id)] = "order lines"
    with pytest.raises(Conflict) as refused:
        await env.delete(alice, kept.id)
    assert refused.value.detail == "Item is still referenced by order lines; it cannot be deleted"
    assert kept.id in env.db.state.items
    with pytest.raises(NotFound):
        await env.delete(alice, gone.id)


# --- transfer -----------------------------------------------------------------------------------


async def test_transfer_rules(env: Env) -> None:
    alice, bob = env.user("alice"), env.user("bob")
    inactive, deleted = env.user("inactive", is_active=False), env.user("deleted", is_deleted=True)
    item = await env.create(alice, cmd("Lamp"))
    for target in (999, inactive.user_id, deleted.user_id):
        with pytest.raises(InvalidInput) as info:
            await env.transfer(alice, item.id, target)
        assert info.value.field == "new_owner_id"
    moved = await env.transfer(alice, item.id, bob.user_id)
    assert moved.owner == type(moved.owner)(bob.user_id, "bob") and moved.etag != item.etag
    with pytest.raises(Forbidden):  # alice no longer owns it
        await env.transfer(alice, item.id, alice.user_id)
    await env.create(alice, cmd("LAMP"))
    other = await env.create(bob, cmd("Other"))
    with pytest.raises(AlreadyExists):  # alice already has a "lamp"
        await env.transfer(bob, item.id, alice.user_id)
    assert (await env.transfer(bob, other.id, alice.user_id)).owner.id == alice.user_id


# --- batch --------------------------------------------------------------------------------------


async def test_batch_mixes_valid_invalid_and_duplicate_elements(env: Env) -> None:
    alice = env.user("alice")
    await env.create(alice, cmd("Existing"))
    elements: list[object] = [
        {"title": "A", "price": "1.50", "tags": ["x"]},
        {"title": "a", "price": 2},  # duplicate of element 0 (case-insensitive)
        {"title": "B", "price": "1.234"},  # 3 decimals
        {"title": "existing", "price": 1},  # duplicate of a stored item
        "not an object",
        {"title": "C", "price": 3, "owner_id": 99},  # unknown field: no mass assignment
        {"price": 1},  # no title
        {"title": "D", "price": 4, "tags": ["New-Tag"], "is_active": False, "description": None},
        {"title": "E", "price": 5, "tags": ["bad tag"]},
        {"title": "F", "price": True},
    ]
    result = await env.batch(alice, elements)
    assert (result.created, result.failed) == (2, 8)
    assert [r.index for r in result.results] == list(range(10))
    created = {r.index: r.id for r in result.results if r.created}
    assert set(created) == {0, 7}
    kinds = {r.index: type(r.error).__name__ for r in result.results if r.error}
    assert kinds == {
        1: "AlreadyExists",
        2: "InvalidInput",
        3: "AlreadyExists",
        4: "InvalidInput",
        5: "InvalidInput",
        6: "InvalidInput",
        8: "InvalidInput",
        9: "InvalidInput",
    }
    titles = sorted(i.title for i in env.db.state.items.values())
    assert titles == ["A", "D", "Existing"]
    assert "bad tag" not in env.db.state.tags and "new-tag" in env.db.state.tags


async def test_batch_limits(env: Env) -> None:
    alice = env.user("alice")
    with pytest.raises(InvalidInput) as too_many:
        await env.batch(alice, [{"title": f"t{i}", "price": 1} for i in range(1001)])
    assert (too_many.value.detail, too_many.value.field) == ("at most 1000 items per batch", "items")
    assert env.db.state.items == {}
    # 1000 is allowed (elements that fail validation at once keep the test fast; stored ones
    # are the other batch tests' business).
    result = await env.batch(alice, [None] * 1000)
    assert (result.created, result.failed, len(result.results)) == (0, 1000, 1000)
    assert [r.index for r in result.results] == list(range(1000))


# --- lists, tags, stats -------------------------------------------------------------------------


async def test_list_validation(env: Env) -> None:
    with pytest.raises(InvalidInput):
        await env.list(catalog.ListItemsQuery(min_price="10", max_price="5"))
    with pytest.raises(InvalidInput):
        await env.list(catalog.ListItemsQuery(min_price="abc"))
    with pytest.raises(InvalidInput):
        await env.list(catalog.ListItemsQuery(tags=("bad tag",)))
    with pytest.raises(InvalidInput):
        await env.list(catalog.ListItemsQuery(), sort="owner")
    with pytest.raises(BadRequest):
        await env.list(catalog.ListItemsQuery(), cursor="garbage")
    page = await env.list(catalog.ListItemsQuery(min_price="5", max_price="5"))
    assert page.total == 0


async def test_list_filters_and_cursor(env: Env) -> None:
    alice, bob = env.user("alice"), env.user("bob")
    await env.create(alice, cmd("Red lamp", "10", tags=["home", "red"]))
    await env.create(alice, cmd("Blue lamp", "20", tags=["home"]))
    await env.create(bob, cmd("Red chair", "30", tags=["red", "home"], is_active=False))
    await env.create(bob, cmd("100% cotton_shirt", "5"))
    page = await env.list(catalog.ListItemsQuery(tags=("home", "RED")))
    assert [v.title for v in page.items] == ["Red lamp"]
    page = await env.list(catalog.ListItemsQuery(tags=("red",), is_active=None))
    assert [v.title for v in page.items] == ["Red lamp", "Red chair"]
    page = await env.list(catalog.ListItemsQuery(q="LAMP", min_price="15"))
    assert [v.title for v in page.items] == ["Blue lamp"]
    assert (await env.list(catalog.ListItemsQuery(q="0% c"))).total == 1
    assert (await env.list(catalog.ListItemsQuery(owner_id=bob.user_id, is_active=False))).total == 1
    first = await env.list(catalog.ListItemsQuery(), sort="-price", limit=2)
    assert [v.price for v in first.items] == [20, 10] and first.next_cursor and first.total == 3
    second = await env.list(catalog.ListItemsQuery(), sort="-price", limit=2, cursor=first.next_cursor)
    assert [v.price for v in second.items] == [5] and second.next_cursor is None
    with pytest.raises(BadRequest):  # a cursor only works for the sort and filter it came from
        await env.list(catalog.ListItemsQuery(), sort="price", limit=2, cursor=first.next_cursor)
    with pytest.raises(BadRequest):
        await env.list(catalog.ListItemsQuery(q="x"), sort="-price", limit=2, cursor=first.next_cursor)
    with pytest.raises(BadRequest):
        await env.list(catalog.ListItemsQuery(), sort="-price", offset=1, cursor=first.next_cursor)


async def test_user_items_and_soft_delete_deactivates_items(env: Env) -> None:
    alice, bob = env.user("alice"), env.user("bob")
    await env.create(alice, cmd("One"))
    await env.create(alice, cmd("Two", is_active=False))
    await env.create(bob, cmd("Three"))
    user_items = env.catalog.list_user_items()
    first = PageParams("created_at")
    page = await user_items(alice.user_id, first)
    assert [v.title for v in page.items] == ["One"] and page.total == 1
    with pytest.raises(NotFound):
        await user_items(999, first)
    await env.identity.delete_user()(alice, alice.user_id)
    assert not any(i.is_active for i in env.db.state.items.values() if i.owner_id == alice.user_id)
    assert all(i.is_active for i in env.db.state.items.values() if i.owner_id == bob.user_id)
    with pytest.raises(NotFound):
        await user_items(alice.user_id, first)


async def test_tags_and_stats(env: Env) -> None:
    stats = env.catalog.item_stats()
    empty = await stats()
    assert (empty.total_items, empty.avg_price, empty.min_price, empty.max_price, empty.top_tags) == (
        0,
        None,
        None,
        None,
        [],
    )
    alice, bob = env.user("alice"), env.user("bob")
    await env.create(alice, cmd("A", "1.00", tags=["x", "y"]))
    await env.create(alice, cmd("B", "2.00", tags=["x"]))
    await env.create(bob, cmd("C", "2.01", tags=["x", "z"], is_active=False))
    found = await stats()
    assert (found.total_items, found.active_items) == (3, 2)
    assert (found.avg_price, found.min_price, found.max_price) == (Decimal("1.50"), 1, 2)
    assert [(t.name, t.item_count) for t in found.top_tags] == [("x", 3), ("y", 1), ("z", 1)]
    tags = await env.catalog.list_tags()(PageParams("-item_count", limit=2))
    assert [(t.name, t.item_count) for t in tags.items] == [("x", 3), ("z", 1)] and tags.total == 3
    user_stats = await env.identity.user_stats()()
    assert [(u.username, u.item_count) for u in user_stats.top_users] == [("alice", 2), ("bob", 1)]


async def test_transient_conflicts_are_retried_as_a_whole(env: Env) -> None:
    alice = env.user("alice")
    env.db.fail("commit", 2)
    view = await env.create(alice, cmd("Lamp", tags=["x"]))
    assert view.title == "Lamp" and len(env.db.state.items) == 1 and env.db.commits == 1
    first, second = env.clock.sleeps  # a growing, jittered pause before each new attempt
    assert 0.01 <= first < 0.02 and 0.02 <= second < 0.04
    env.db.statements.clear()
    env.db.fail("items.add", 1)  # inside the first element's savepoint: the whole batch reruns
    result = await env.batch(alice, [{"title": "A", "price": 1}, {"title": "lamp", "price": 1}])
    assert (result.created, result.failed) == (1, 1) and len(env.db.state.items) == 2
    assert [s.name for s in env.db.statements].count("items.add") == 3  # A lost, A, lamp
    env.db.fail("items.get", 1)
    assert (await env.patch(alice, view.id, catalog.PatchItemCommand(price="3"))).price == 3
    env.db.fail("commit", 3)  # every attempt loses: the caller gets a 409 conflict
    with pytest.raises(TransientConflict):
        await env.create(alice, cmd("Never"))
    assert len(env.db.state.items) == 2


# --- what is stored, and the words of each refusal ------------------------------------------------


async def test_create_stores_the_canonical_item(env: Env) -> None:
    alice = env.user("alice")
    view = await env.create(alice, cmd(" Lamp", "7.5", description="Warm", is_active=False, tags=["B", "a"]))
    stored = env.db.state.items[view.id]
    assert (stored.title, stored.price, stored.owner_id) == (" Lamp", Decimal("7.50"), alice.user_id)
    assert (stored.description, stored.is_active, stored.tags) == ("Warm", False, ("a", "b"))
    assert stored.created_at == stored.updated_at == view.created_at == view.updated_at


async def test_writes_lock_the_item_row_before_checking_it(env: Env) -> None:
    alice, bob = env.user("alice"), env.user("bob")
    item = await env.create(alice, cmd())
    writes = [
        lambda: env.patch(alice, item.id, catalog.PatchItemCommand(price="2")),
        lambda: env.replace(alice, item.id, catalog.ReplaceItemCommand("Lamp", "3", None, True, [])),
        lambda: env.transfer(alice, item.id, bob.user_id),
        lambda: env.delete(bob, item.id),
    ]
    for write in writes:
        env.db.statements.clear()
        await write()
        reads = [s for s in env.db.statements if s.name == "items.get"]
        assert reads == [Statement("items.get", for_update=True)]


async def test_if_match_star_needs_no_owner_but_a_real_tag_reads_it(env: Env) -> None:
    alice = env.user("alice")
    item = await env.create(alice, cmd())
    env.db.statements.clear()
    view = await env.patch(alice, item.id, catalog.PatchItemCommand(price="2"), if_match="*")
    assert "users.get" not in [s.name for s in env.db.statements]
    env.db.statements.clear()
    await env.patch(alice, item.id, catalog.PatchItemCommand(price="3"), if_match=view.etag)
    assert [s.name for s in env.db.statements].count("users.get") == 1
    with pytest.raises(PreconditionFailed) as stale:
        await env.patch(alice, item.id, catalog.PatchItemCommand(price="4"), if_match=view.etag)
    assert stale.value.detail == "The item has changed since it was read (If-Match does not match)"


async def test_refusals_name_the_item_and_the_rule(env: Env) -> None:
    alice, bob = env.user("alice"), env.user("bob")
    item = await env.create(alice, cmd())
    for call in (
        lambda: env.catalog.get_item()(999),
        lambda: env.patch(alice, 999, catalog.PatchItemCommand(title="x")),
        lambda: env.delete(alice, 999),
        lambda: env.transfer(alice, 999, bob.user_id),
    ):
        with pytest.raises(NotFound) as missing:
            await call()
        assert missing.value.detail == "Item 999 not found"
    with pytest.raises(Forbidden) as not_yours:
        await env.patch(bob, item.id, catalog.PatchItemCommand(title="Mine"))
    assert not_yours.value.detail == "Only the owner or a superuser may do this"
    with pytest.raises(InvalidInput) as nobody:
        await env.transfer(alice, item.id, 999)
    assert (nobody.value.detail, nobody.value.field) == (
        "new_owner_id 999 is not an existing, active user",
        "new_owner_id",
    )


async def test_replace_stores_every_field(env: Env) -> None:
    alice = env.user("alice")
    item = await env.create(alice, cmd("Lamp", is_active=False, tags=["a"]))
    await env.replace(alice, item.id, catalog.ReplaceItemCommand("Desk", "2", "Oak", True, ["B"]))
    stored = env.db.state.items[item.id]
    assert (stored.title, stored.price, stored.description, stored.is_active, stored.tags) == (
        "Desk",
        Decimal("2.00"),
        "Oak",
        True,
        ("b",),
    )
    await env.patch(alice, item.id, catalog.PatchItemCommand(description=None, is_active=False))
    stored = env.db.state.items[item.id]
    assert (stored.title, stored.description, stored.is_active) == ("Desk", None, False)


async def test_an_item_deleted_right_after_the_write_commits_is_not_found() -> None:
    class Vanished(FakeItemQueries):
        async def get(self, item_id: int) -> ItemView | None:
            return None

    env = Env()
    env.catalog.primary_queries.override(providers.Object(Vanished(env.db)))
    alice = env.user("alice")
    with pytest.raises(NotFound) as gone:
        await env.create(alice, cmd())
    assert gone.value.detail == "Item 1 not found" and 1 in env.db.state.items


# --- batch: each element's refusal, and what is stored -------------------------------------------


@pytest.mark.parametrize(
    ("element", "detail", "field"),
    [
        (None, "each element must be an object", None),
        (["title", "price"], "each element must be an object", None),
        (
            {"title": "A", "price": 1, "zeta": 1, "owner_id": 2},
            "unknown field(s): owner_id, zeta",
            "owner_id",
        ),
        ({"price": 1}, "title is required", "title"),
        ({"title": "A"}, "price is required", "price"),
        ({"title": 5, "price": 1}, "title must be a string", "title"),
        ({"title": "A", "price": 1, "description": 5}, "description must be a string or null", "description"),
        ({"title": "A", "price": 1, "is_active": "yes"}, "is_active must be true or false", "is_active"),
        ({"title": "A", "price": 1, "is_active": None}, "is_active must be true or false", "is_active"),
        ({"title": "A", "price": 1, "tags": "home"}, "tags must be a list of strings", "tags"),
        ({"title": "A", "price": 1, "tags": None}, "tags must be a list of strings", "tags"),
        ({"title": "A", "price": 1, "tags": ["ok", None]}, "tags must be strings", "tags"),
        ({"title": "A", "price": "1.234"}, "price must have at most two decimal places", "price"),
        (
            {"title": "A", "price": 1, "description": "d" * 5001},
            "description must be at most 5000 characters",
            "description",
        ),
        ({"title": "A\x00", "price": 1}, "title must not contain NUL characters", "title"),
    ],
)
async def test_a_batch_element_refusal_names_its_field(
    env: Env, element: object, detail: str, field: str | None
) -> None:
    alice = env.user("alice")
    result = await env.batch(alice, [element])
    error = result.results[0].error
    assert isinstance(error, InvalidInput) and (error.detail, error.field) == (detail, field)
    assert (result.created, result.failed, env.db.state.items) == (0, 1, {})


async def test_a_batch_stores_each_field_and_reports_the_stored_ids(env: Env) -> None:
    alice = env.user("alice")
    result = await env.batch(
        alice,
        [
            {"title": "A", "price": "1.5"},
            {"title": "B", "price": 2, "description": "Oak", "is_active": False, "tags": ["Home", "home"]},
            {"title": "C", "price": 3, "description": None, "is_active": True, "tags": []},
        ],
    )
    ids = [r.id for r in result.results]
    assert None not in ids and sorted(ids) == sorted(env.db.state.items)  # type: ignore[type-var]
    stored = {env.db.state.items[i].title: env.db.state.items[i] for i in ids}  # type: ignore[index]
    a, b, c = stored["A"], stored["B"], stored["C"]
    assert (a.price, a.description, a.is_active, a.tags) == (Decimal("1.50"), None, True, ())
    assert (b.price, b.description, b.is_active, b.tags) == (Decimal("2.00"), "Oak", False, ("home",))
    assert (c.description, c.is_active) == (None, True)
    assert all(i.owner_id == alice.user_id and i.created_at is not None for i in (a, b, c))
    assert a.created_at == a.updated_at


# --- list filters: refusals, bounds, and cursors bound to every part of the filter ---------------


async def test_list_filter_refusals_name_the_parameter(env: Env) -> None:
    cases = [
        (
            catalog.ListItemsQuery(min_price="abc"),
            "min_price must be a plain decimal such as 19.90",
            "min_price",
        ),
        (
            catalog.ListItemsQuery(max_price="abc"),
            "max_price must be a plain decimal such as 19.90",
            "max_price",
        ),
        (
            catalog.ListItemsQuery(max_price="10000000000"),
            "max_price must be at most 9999999999.99",
            "max_price",
        ),
        (
            catalog.ListItemsQuery(min_price="10", max_price="9.99"),
            "min_price must not be greater than max_price",
            "min_price",
        ),
        (catalog.ListItemsQuery(q="a\x00"), "q must not contain NUL characters", "q"),
        (catalog.ListItemsQuery(tags=("a b",)), "tag 'a b' must be 1-50 characters of a-z, 0-9 and -", "tag"),
        (
            catalog.ListItemsQuery(tags=("x" * 51,)),
            f"tag {'x' * 51!r} must be 1-50 characters of a-z, 0-9 and -",
            "tag",
        ),
        (catalog.ListItemsQuery(tags=[f"t{i}" for i in range(21)]), "at most 20 tag filters", "tag"),
    ]
    for query, detail, field in cases:
        with pytest.raises(InvalidInput) as refused:
            await env.list(query)
        assert (refused.value.detail, refused.value.field) == (detail, field)


async def test_list_filter_bounds_from_the_accepted_side(env: Env) -> None:
    alice = env.user("alice")
    await env.create(alice, cmd("Cheap", "5", tags=["x" * 50]))
    await env.create(alice, cmd("Dear", "50"))
    assert (await env.list(catalog.ListItemsQuery(tags=("X" * 50,)))).total == 1
    twenty = (*(f"t{i}" for i in range(20)), "T0", " t1 ")  # duplicates count once
    assert (await env.list(catalog.ListItemsQuery(tags=twenty))).total == 0
    assert [v.title for v in (await env.list(catalog.ListItemsQuery(max_price="49.99"))).items] == ["Cheap"]
    assert [v.title for v in (await env.list(catalog.ListItemsQuery(min_price="5.01"))).items] == ["Dear"]
    assert (await env.list(catalog.ListItemsQuery(min_price="5", max_price="50"))).total == 2


async def test_a_list_cursor_is_bound_to_every_part_of_the_filter(env: Env) -> None:
    alice = env.user("alice")
    for n in range(3):
        await env.create(alice, cmd(f"Lamp {n}", "10", tags=["home"]))
    base = catalog.ListItemsQuery(
        q="lamp", min_price="1", max_price="20", tags=("home",), owner_id=alice.user_id, is_active=True
    )
    first = await env.list(base, limit=2)
    assert first.next_cursor and first.total == 3
    assert len((await env.list(base, limit=2, cursor=first.next_cursor)).items) == 1
    for changed in (
        replace(base, q="lam"),
        replace(base, min_price="2"),
        replace(base, max_price="19"),
        replace(base, tags=()),
        replace(base, owner_id=alice.user_id + 1),
        replace(base, is_active=None),
    ):
        with pytest.raises(BadRequest) as refused:
            await env.list(changed, limit=2, cursor=first.next_cursor)
        assert refused.value.detail == "cursor was issued for another sort order or filter"


async def test_list_pages_by_offset(env: Env) -> None:
    alice = env.user("alice")
    for n in range(5):
        await env.create(alice, cmd(f"Lamp {n}", str(n)))
    page = await env.list(catalog.ListItemsQuery(), sort="price", limit=2, offset=3)
    assert [v.title for v in page.items] == ["Lamp 3", "Lamp 4"]
    assert (page.total, page.limit, page.offset, page.next_cursor) == (5, 2, 3, None)


async def test_tags_are_listed_page_by_page_with_a_cursor(env: Env) -> None:
    alice = env.user("alice")
    await env.create(alice, cmd("A", tags=["a", "b", "c"]))
    await env.create(alice, cmd("B", tags=["c"]))
    list_tags = env.catalog.list_tags()
    first = await list_tags(PageParams("name", limit=2))
    assert [(t.name, t.item_count) for t in first.items] == [("a", 1), ("b", 1)] and first.next_cursor
    rest = await list_tags(PageParams("name", limit=2, cursor=first.next_cursor))
    assert [(t.name, t.item_count) for t in rest.items] == [("c", 2)] and rest.next_cursor is None
    with pytest.raises(BadRequest):
        await list_tags(PageParams("-name", limit=2, cursor=first.next_cursor))


async def test_a_users_item_list_names_an_unknown_user(env: Env) -> None:
    with pytest.raises(NotFound) as missing:
        await env.catalog.list_user_items()(999, PageParams("created_at"))
    assert missing.value.detail == "User 999 not found"
