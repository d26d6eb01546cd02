"""Money rules (domain/money.py) and an item's price (domain/catalog.py): every refusal names the
field and says why, as the problem body shows it; every bound is tested from both sides."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.catalog import PRICE_MAX, parse_price
from domain.errors import InvalidInput
from domain.money import largest, parse_money


def refusal(value: object, field_name: str | None = None, **kwargs: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        if field_name is None:
            parse_money(value, **kwargs)  # type: ignore[arg-type]
        else:
            parse_money(value, field_name, **kwargs)  # type: ignore[arg-type]
    return caught.value


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        (None, "amount must be a decimal number or a string"),
        ([], "amount must be a decimal number or a string"),
        (True, "amount must be a decimal number or a string"),
        ("1e2", "amount must be a plain decimal such as 19.90"),
        ("", "amount must be a plain decimal such as 19.90"),
        pytest.param(10**5000, "amount must be a decimal number", id="too-many-digits-to-read"),
        (float("nan"), "amount must be a finite number"),
        (float("inf"), "amount must be a finite number"),
        (Decimal("NaN"), "amount must be a finite number"),
        (-1, "amount must be 0 or more"),
        (Decimal("-0.01"), "amount must be 0 or more"),
        (10**12, "amount must have at most 12 digits before the point"),
        ("1000000000000.00", "amount must have at most 12 digits before the point"),
        ("1.234", "amount must have at most two decimal places"),
        (0.001, "amount must have at most two decimal places"),
    ],
)
def test_each_refusal_says_why_and_names_the_default_field(value: object, detail: str) -> None:
    error = refusal(value)
    assert (error.detail, error.field, str(error)) == (detail, "amount", detail)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (None, "must be a decimal number or a string"),
        ("abc", "must be a plain decimal such as 19.90"),
        pytest.param(10**5000, "must be a decimal number", id="too-many-digits-to-read"),
        (float("nan"), "must be a finite number"),
        (-1, "must be 0 or more"),
        (10**12, "must have at most 12 digits before the point"),
        ("0.001", "must have at most two decimal places"),
        ("100.01", "must be at most 100.00"),
    ],
)
def test_each_refusal_names_the_field_it_was_given(value: object, why: str) -> None:
    error = refusal(value, "balance", maximum=Decimal("100.00"))
    assert (error.detail, error.field) == (f"balance {why}", "balance")


def test_bounds_from_both_sides() -> None:
    assert parse_money(0) == Decimal("0.00")
    assert refusal(Decimal("-0.01")).detail == "amount must be 0 or more"
    assert parse_money("999999999999.99") == Decimal("999999999999.99")
    assert refusal("1000000000000").field == "amount"
    assert parse_money("1.10") == Decimal("1.10") and parse_money("1.100") == Decimal("1.10")
    assert parse_money("100.00", maximum=Decimal("100.00")) == Decimal("100.00")
    assert refusal("100.01", maximum=Decimal("100.00")).detail == "amount must be at most 100.00"


def test_amounts_are_exact_cents_from_every_type() -> None:
    for value in ("19.9", 19.9, Decimal("19.9"), Decimal("19.90")):
        amount = parse_money(value)
        assert amount == Decimal("19.90") and str(amount) == "19.90"
    assert str(parse_money(Decimal("1E+2"))) == "100.00"


def test_largest_amount_for_a_number_of_integer_digits() -> None:
    assert largest(1) == Decimal("9.99")
    assert largest(2) == Decimal("99.99")
    assert largest(10) == Decimal("9999999999.99") == PRICE_MAX


def test_an_item_price_fits_numeric_12_2_and_is_called_price() -> None:
    assert parse_price("9999999999.99") == PRICE_MAX
    with pytest.raises(InvalidInput) as too_big:
        parse_price("10000000000.00")
    assert (too_big.value.detail, too_big.value.field) == ("price must be at most 9999999999.99", "price")
    with pytest.raises(InvalidInput) as negative:
        parse_price(-1)
    assert (negative.value.detail, negative.value.field) == ("price must be 0 or more", "price")
    with pytest.raises(InvalidInput) as named:
        parse_price("x", "min_price")
    assert (named.value.detail, named.value.field) == (
        "min_price must be a plain decimal such as 19.90",
        "min_price",
    )
