"""Money: exact decimal amounts in cents, never a float.

Every context that handles amounts (catalog prices, ledger balances, order totals) parses them
here, so one rule decides what a valid amount is: finite, not negative, at most two decimal
places, at most ``MONEY_INTEGER_DIGITS`` digits before the point. A context with a narrower
column (an item price is ``numeric(12,2)``) adds its own upper bound with ``parse_money(...,
maximum=...)``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from domain.errors import InvalidInput

CENT = Decimal("0.01")
MONEY_INTEGER_DIGITS = 12
# Money as text: plain digits with an optional fraction (no sign, exponent, blanks or NaN).
MONEY_TEXT_RE = re.compile(r"[0-9]{1,40}(\.[0-9]{1,40})?")


def money_pattern(integer_digits: int, *, positive: bool = False) -> str:
    """The regular expression a client may rely on for money text with at most
    ``integer_digits`` digits before the point and two after (published in the OpenAPI);
    ``positive`` also rules out every spelling of zero. ASCII digits only, as the parser."""
    not_zero = r"(?!0+(\.0+)?$)" if positive else ""
    return rf"^{not_zero}[0-9]{{1,{integer_digits}}}(\.[0-9]{{1,2}})?$"


def largest(integer_digits: int) -> Decimal:
    """The largest amount with ``integer_digits`` digits before the point: 99...9.99."""
    return Decimal(10) ** integer_digits - CENT


def parse_money(value: object, field_name: str = "amount", *, maximum: Decimal | None = None) -> Decimal:
    """An amount from a string (plain digits, optional fraction), int, float or Decimal.
    Floats are read through their shortest repr (``19.9`` is ``Decimal("19.9")``), so no binary
    fraction ever leaks into a stored amount."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise InvalidInput(f"{field_name} must be a decimal number or a string", field_name)
    if isinstance(value, str) and not MONEY_TEXT_RE.fullmatch(value):
        raise InvalidInput(f"{field_name} must be a plain decimal such as 19.90", field_name)
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput(f"{field_name} must be a decimal number", field_name) from exc
    if not amount.is_finite():
        raise InvalidInput(f"{field_name} must be a finite number", field_name)
    if amount < 0:
        raise InvalidInput(f"{field_name} must be 0 or more", field_name)
    if amount >= Decimal(10) ** MONEY_INTEGER_DIGITS:
        raise InvalidInput(
            f"{field_name} must have at most {MONEY_INTEGER_DIGITS} digits before the point", field_name
        )
    cents = amount.quantize(CENT)
    if cents != amount:
        raise InvalidInput(f"{field_name} must have at most two decimal places", field_name)
    if maximum is not None and cents > maximum:
        raise InvalidInput(f"{field_name} must be at most {maximum}", field_name)
    return cents
