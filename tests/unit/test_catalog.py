"""Catalog use cases against the in-memory fakes: rules, authorisation, preconditions, batch."""

from __future__ import annotations

from decimal import Decimal

import pytest

from application import catalog
from application.catalog.use_cases import if_match_ok
from application.catalog.views import ItemView
from application.common import Actor
from application.errors import TransientConflict
from application.pagination import Page, PageParams
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
    with pytest.raises(Conflict):
        await env.delete(alice, kept.id)
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
    with pytest.raises(InvalidInput):
        await env.batch(alice, [{"title": f"t{i}", "price": 1} for i in range(1001)])
    assert env.db.state.items == {}
    result = await env.batch(alice, [{"title": f"t{i}", "price": 1} for i in range(200)])
    assert result.created == 200 and len(env.db.state.items) == 200


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
