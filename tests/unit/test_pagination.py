"""Paging rules shared by every list (application/pagination.py): sorts, limits and offsets at
their bounds, and cursors a client can neither forge, pad, truncate nor replay elsewhere."""

from __future__ import annotations

import base64
import json

import pytest

from application.pagination import CursorCodec, PageParams, PageRequest, Slice, Sort, scope_of
from domain.errors import BadRequest, InvalidInput

SORTS = ("created_at", "price", "title")
SCOPE = scope_of("items", "lamp")


@pytest.fixture
def codec() -> CursorCodec:
    return CursorCodec("unit-test-secret")


def invalid(call: object, *args: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


def bad_request(call: object, *args: object) -> BadRequest:
    with pytest.raises(BadRequest) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64(cursor: str) -> bytes:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


# --- sorts ---------------------------------------------------------------------------------------


def test_sort_parses_a_field_and_an_optional_minus() -> None:
    assert Sort.parse("price", SORTS) == Sort("price", descending=False)
    assert Sort.parse("-price", SORTS) == Sort("price", descending=True)
    assert [str(Sort.parse(s, SORTS)) for s in ("title", "-title")] == ["title", "-title"]


@pytest.mark.parametrize("sort", ["owner", "-owner", "--price", "Price", ""])
def test_an_unknown_sort_names_the_allowed_ones(sort: str) -> None:
    error = invalid(Sort.parse, sort, SORTS)
    detail = "sort must be one of created_at, price, title (prefix - for descending)"
    assert (error.detail, error.field) == (detail, "sort")


# --- limit and offset ----------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 2, 99, 100])
def test_limits_from_1_to_100_are_accepted(codec: CursorCodec, limit: int) -> None:
    request = codec.page_request(PageParams("title", limit=limit, offset=7), SORTS, SCOPE)
    assert request == PageRequest(Sort("title"), limit=limit, offset=7, after=None)


@pytest.mark.parametrize("limit", [-1, 0, 101, 1000])
def test_limits_outside_1_to_100_are_refused(codec: CursorCodec, limit: int) -> None:
    error = invalid(codec.page_request, PageParams("title", limit=limit), SORTS, SCOPE)
    assert (error.detail, error.field) == ("limit must be between 1 and 100", "limit")


def test_offset_zero_is_accepted_and_a_negative_one_refused(codec: CursorCodec) -> None:
    assert codec.page_request(PageParams("title", offset=0), SORTS, SCOPE).offset == 0
    for offset in (-1, -20):
        error = invalid(codec.page_request, PageParams("title", offset=offset), SORTS, SCOPE)
        assert (error.detail, error.field) == ("offset must be 0 or more", "offset")


def test_cursor_and_offset_together_are_a_bad_request(codec: CursorCodec) -> None:
    cursor = codec.encode(Sort("title"), ("a", 1), SCOPE)
    error = bad_request(codec.page_request, PageParams("title", offset=1, cursor=cursor), SORTS, SCOPE)
    assert error.detail == "use either cursor or offset, not both"
    request = codec.page_request(PageParams("title", limit=3, cursor=cursor), SORTS, SCOPE)
    assert request == PageRequest(Sort("title"), limit=3, offset=0, after=("a", 1))


def test_a_page_repeats_the_request_and_carries_the_next_cursor(codec: CursorCodec) -> None:
    request = PageRequest(Sort("price", descending=True), limit=2, offset=4)
    page = codec.page(request, Slice(["x", "y"], 9, ("5.00", 3)), SCOPE)
    assert (page.items, page.total, page.limit, page.offset) == (["x", "y"], 9, 2, 4)
    assert page.next_cursor is not None
    assert codec.decode(page.next_cursor, Sort("price", descending=True), SCOPE) == ("5.00", 3)
    last = codec.page(request, Slice(["z"], 9, None), SCOPE)
    assert (last.items, last.limit, last.offset, last.next_cursor) == (["z"], 2, 4, None)


# --- cursors -------------------------------------------------------------------------------------


def test_cursors_round_trip_and_are_url_safe_without_padding(codec: CursorCodec) -> None:
    """Keys of every length modulo 3, so encodings with 0, 1 and 2 padding characters occur."""
    sort = Sort("created_at")
    for n in range(30):
        key = ("x" * (n % 7), n) if n % 2 else (None, n)
        cursor = codec.encode(sort, key, SCOPE)
        assert "=" not in cursor
        assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        assert codec.decode(cursor, sort, SCOPE) == key


def test_a_cursor_is_bound_to_its_sort_and_scope(codec: CursorCodec) -> None:
    cursor = codec.encode(Sort("price"), ("1.00", 1), SCOPE)
    for sort, scope in [
        (Sort("price", descending=True), SCOPE),
        (Sort("title"), SCOPE),
        (Sort("price"), scope_of("items", "chair")),
    ]:
        error = bad_request(codec.decode, cursor, sort, scope)
        assert error.detail == "cursor was issued for another sort order or filter"


def test_a_cursor_signed_with_another_secret_is_refused(codec: CursorCodec) -> None:
    foreign = CursorCodec("another-secret").encode(Sort("title"), ("a", 1), SCOPE)
    assert bad_request(codec.decode, foreign, Sort("title"), SCOPE).detail == "cursor is not valid"


def test_a_payload_cannot_be_swapped_under_another_cursors_signature(codec: CursorCodec) -> None:
    sort = Sort("title")
    mine, other = unb64(codec.encode(sort, ("a", 1), SCOPE)), unb64(codec.encode(sort, ("z", 99), SCOPE))
    forged = b64(mine[:16] + other[16:])
    assert bad_request(codec.decode, forged, sort, SCOPE).detail == "cursor is not valid"


def test_any_other_16_byte_signature_is_refused(codec: CursorCodec) -> None:
    sort = Sort("title")
    payload = unb64(codec.encode(sort, ("a", 1), SCOPE))[16:]
    for signature in (bytes(16), b"\xff" * 16, bytes(range(16))):
        assert (
            bad_request(codec.decode, b64(signature + payload), sort, SCOPE).detail == "cursor is not valid"
        )


def test_a_hand_made_payload_without_a_signature_is_refused(codec: CursorCodec) -> None:
    sort = Sort("title")
    payload = json.dumps(["title", ["a", 1], SCOPE], separators=(",", ":")).encode()
    for raw in (payload, payload[:15], b"", b"short"):
        assert bad_request(codec.decode, b64(raw), sort, SCOPE).detail == "cursor is not valid"


@pytest.mark.parametrize("cursor", ["garbage!", "a", "====", "Zm9v\x00", "curs\u00e9r"])
def test_text_that_is_no_base64_is_not_a_valid_cursor(codec: CursorCodec, cursor: str) -> None:
    assert bad_request(codec.decode, cursor, Sort("title"), SCOPE).detail == "cursor is not valid"


def test_a_truncated_cursor_is_refused(codec: CursorCodec) -> None:
    cursor = codec.encode(Sort("title"), ("a", 1), SCOPE)
    for cut in (1, 2, 3, 5):
        assert bad_request(codec.decode, cursor[:-cut], Sort("title"), SCOPE).detail == "cursor is not valid"


def test_a_scope_fingerprints_every_part_of_a_filter() -> None:
    base = scope_of("items", "q", None, 5, ("a",), 1, True)
    variants = [
        scope_of("items", "q", None, 5, ("a",), 1, False),
        scope_of("items", "q", None, 5, ("a",), 2, True),
        scope_of("items", "q", None, 5, ("b",), 1, True),
        scope_of("items", "q", 1, 5, ("a",), 1, True),
        scope_of("items", "Q", None, 5, ("a",), 1, True),
        scope_of("items", "q", None, 5, ("a",), 1),
    ]
    assert base == scope_of("items", "q", None, 5, ("a",), 1, True)
    assert len({base, *variants}) == 1 + len(variants)
