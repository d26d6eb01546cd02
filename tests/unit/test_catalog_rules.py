"""The catalog's rules on their own (domain/catalog.py, If-Match, ETags): each bound from both
sides, and each refusal with the field and the words a client sees in the problem body."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from application.blog.views import post_etag
from application.catalog.views import item_etag
from application.preconditions import if_match_ok
from domain.catalog import Item, check_description, check_title, normalise_tags
from domain.errors import InvalidInput

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


def refused(call: object, *args: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


# --- title and description ---------------------------------------------------------------------


def test_title_is_1_to_200_characters_not_only_blanks() -> None:
    assert check_title("x") == "x"
    assert check_title("x" * 200) == "x" * 200
    for bad in ("", " ", "\t\n", "x" * 201, None, 5):
        error = refused(check_title, bad)
        assert (error.detail, error.field) == ("title must be 1-200 characters, not only blanks", "title")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("a\x00b", "must not contain NUL characters"),
        ("a\udc00", "must be valid Unicode text (no lone surrogates)"),
    ],
)
def test_title_and_description_refuse_text_no_store_can_hold(text: str, why: str) -> None:
    assert (refused(check_title, text).detail, refused(check_title, text).field) == (f"title {why}", "title")
    error = refused(check_description, text)
    assert (error.detail, error.field) == (f"description {why}", "description")


def test_description_is_at_most_5000_characters_or_none() -> None:
    assert check_description(None) is None
    assert check_description("") == ""
    assert check_description("d" * 5000) == "d" * 5000
    for bad in ("d" * 5001, 42):
        error = refused(check_description, bad)
        assert (error.detail, error.field) == ("description must be at most 5000 characters", "description")


# --- tags --------------------------------------------------------------------------------------


def test_tags_are_1_to_50_characters_of_a_z_digits_and_dash() -> None:
    assert normalise_tags(["x" * 50, "a", "0-9"]) == ("0-9", "a", "x" * 50)
    for bad in ("x" * 51, "", "a b", "a_b", "ü"):
        error = refused(normalise_tags, [bad])
        assert error.detail == f"tag {bad!r} must be 1-50 characters of a-z, 0-9 and -"
        assert error.field == "tags"


def test_an_item_has_at_most_20_distinct_tags() -> None:
    assert len(normalise_tags([f"t{i}" for i in range(20)])) == 20
    assert len(normalise_tags([f"T{i % 20}" for i in range(60)])) == 20  # duplicates count once
    error = refused(normalise_tags, [f"t{i}" for i in range(21)])
    assert (error.detail, error.field) == ("an item has at most 20 tags", "tags")


@pytest.mark.parametrize("bad", [[None], ["ok", 3], [["nested"]]])
def test_each_tag_must_be_a_string(bad: list[object]) -> None:
    error = refused(normalise_tags, bad)
    assert (error.detail, error.field) == ("tags must be strings", "tags")


# --- items -------------------------------------------------------------------------------------


def test_a_new_item_is_active_untagged_and_stamped_by_default() -> None:
    item = Item.new(title="Lamp", price="9.5", owner_id=3, now=NOW)
    assert (item.title, item.price, item.owner_id) == ("Lamp", Decimal("9.50"), 3)
    assert (item.description, item.is_active, item.tags, item.id) == (None, True, (), None)
    assert item.created_at == item.updated_at == NOW


def test_revise_sets_every_given_field_and_says_whether_anything_changed() -> None:
    item = Item.new(title="Lamp", price="9.5", owner_id=3, now=NOW, is_active=False, tags=["a"])
    assert item.revise(LATER, description="Warm light", is_active=True) is True
    assert (item.description, item.is_active, item.updated_at) == ("Warm light", True, LATER)
    assert item.revise(LATER + timedelta(seconds=1), description="Warm light", is_active=True) is False
    assert item.updated_at == LATER
    assert item.revise(LATER, description=None, is_active=False, tags=[]) is True
    assert (item.description, item.is_active, item.tags) == (None, False, ())
    error = refused(lambda: item.revise(LATER, description="d" * 5001))
    assert error.field == "description" and item.description is None


def test_transfer_changes_the_owner_only_when_it_differs() -> None:
    item = Item.new(title="Lamp", price="1", owner_id=3, now=NOW)
    assert item.transfer_to(LATER, 3) is False and item.updated_at == NOW
    assert item.transfer_to(LATER, 4) is True and (item.owner_id, item.updated_at) == (4, LATER)


# --- If-Match and ETags ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("if_match", "etag", "matches"),
    [
        (None, '"a"', True),
        ("*", '"a"', True),
        (" * ", '"a"', True),
        ('"a"', '"a"', True),
        ('"b", "a"', '"a"', True),
        ('"b","a"', '"a"', True),  # no blank after the comma
        ('"b" ,  "a" ', '"a"', True),
        ('"b", , "c"', '"a"', False),
        ('"b"', '"a"', False),
        ('W/"a"', '"a"', False),  # weak tags never match strongly
        ('"b", W/"a"', '"a"', False),
        ('X"a"X', '"a"', False),  # only quotes are stripped
        ('"aX"', '"aX"', True),
        ('"Xa"', '"a"', False),
        ("", '"a"', False),
    ],
)
def test_if_match_lists(if_match: str | None, etag: str, matches: bool) -> None:
    assert if_match_ok(if_match, etag) is matches


def test_an_etag_is_a_quoted_20_hex_digest_of_id_instant_and_owner_name() -> None:
    etag = item_etag(1, NOW, "ann")
    assert re.fullmatch(r'"[0-9a-f]{20}"', etag)
    assert item_etag(1, NOW, "ann") == etag
    assert len({etag, item_etag(2, NOW, "ann"), item_etag(1, LATER, "ann"), item_etag(1, NOW, "bob")}) == 4
    tokyo = timezone(timedelta(hours=9))
    assert item_etag(1, NOW.astimezone(tokyo), "ann") == etag  # the instant, not its notation


def test_etags_stay_the_same_across_releases() -> None:
    """Clients keep tags: a release that computed them otherwise would make every held tag stale
    (412 on the next write), so the values are pinned."""
    assert item_etag(1, NOW, "ann") == '"4e24c4b720f408ed0a35"'
    assert post_etag(1, NOW, "ann") == '"123c1eb27a6fe19d4624"'


def test_an_etag_does_not_depend_on_the_servers_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers on hosts in different zones must agree on every tag."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        in_utc = item_etag(1, NOW, "ann")
        monkeypatch.setenv("TZ", "JST-9")  # POSIX form: no zone database needed
        time.tzset()
        assert item_etag(1, NOW, "ann") == in_utc
    finally:
        monkeypatch.undo()
        time.tzset()
