"""Text a store can hold (domain/text.py) and the error classes: what each error says is what
the problem body's ``detail`` shows (and what a log line prints), so it is pinned here."""

from __future__ import annotations

import pytest

from application.errors import ApplicationError, DatabaseUnavailable, TransientConflict, UnstorableValue
from domain.errors import (
    AlreadyExists,
    BadRequest,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    RateLimited,
    Unauthorized,
)
from domain.text import check_text, is_storable


@pytest.mark.parametrize("text", ["", "plain", "ünïcødé ✓", "emoji 🎉", "tab\tnew\nline"])
def test_ordinary_text_is_storable_and_kept(text: str) -> None:
    assert is_storable(text) is True
    assert check_text(text, "title") == text


@pytest.mark.parametrize("text", ["\x00", "a\x00b", "\udc00", "a\ud800b"])
def test_nul_and_lone_surrogates_are_not_storable(text: str) -> None:
    assert is_storable(text) is False


def test_check_text_names_the_field_and_the_reason() -> None:
    with pytest.raises(InvalidInput) as nul:
        check_text("a\x00b", "bio")
    assert (nul.value.detail, nul.value.field) == ("bio must not contain NUL characters", "bio")
    with pytest.raises(InvalidInput) as surrogate:
        check_text("a\udc00", "q")
    assert (surrogate.value.detail, surrogate.value.field) == (
        "q must be valid Unicode text (no lone surrogates)",
        "q",
    )
    with pytest.raises(InvalidInput) as both:  # NUL is reported first
        check_text("\udc00\x00", "q")
    assert both.value.detail == "q must not contain NUL characters"


# Errors are built inside each test, not at collection: a mutant of a constructor must run.
@pytest.mark.parametrize(
    "kind",
    [
        DomainError,
        NotFound,
        Unauthorized,
        Forbidden,
        Conflict,
        PreconditionFailed,
        BadRequest,
        ApplicationError,
    ],
)
def test_an_errors_message_is_its_detail(kind: type[DomainError] | type[ApplicationError]) -> None:
    error = kind("d")
    assert error.detail == "d" and str(error) == "d"
    invalid, limited = InvalidInput("d", "f"), RateLimited("d", 3)
    assert (invalid.detail, str(invalid), limited.detail, str(limited)) == ("d", "d", "d", "d")


def test_errors_carry_what_the_problem_body_needs() -> None:
    taken = AlreadyExists("Item", "title")
    assert (taken.detail, str(taken), taken.entity, taken.field) == (
        "Item with this title already exists",
        "Item with this title already exists",
        "Item",
        "title",
    )
    assert InvalidInput("bad").field is None and InvalidInput("bad", "price").field == "price"
    assert RateLimited("slow down", 42).retry_after == 42
    assert isinstance(taken, DomainError) and not isinstance(TransientConflict(), DomainError)


@pytest.mark.parametrize(
    ("kind", "detail"),
    [
        (TransientConflict, "A concurrent change got in the way; please retry"),
        (DatabaseUnavailable, "The service cannot reach its database; try again shortly"),
        (UnstorableValue, "A value in the request cannot be stored (an invalid character, or too long)"),
    ],
)
def test_application_errors_have_a_default_detail_for_clients(
    kind: type[ApplicationError], detail: str
) -> None:
    error = kind()  # type: ignore[call-arg]
    assert (error.detail, str(error)) == (detail, detail)
    assert kind("custom").detail == "custom" and str(kind("custom")) == "custom"
