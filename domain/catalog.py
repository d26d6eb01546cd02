"""Catalog: items for sale and the tags that label them.

Every way in (HTTP, batch import, CLI seed) goes through these rules, so titles, prices and tag
names are stored in one canonical form: prices are ``Decimal`` quantised to cents (never a
float), tag names lower-cased, de-duplicated and sorted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from domain.errors import InvalidInput

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
TAG_MAX = 50
TAGS_PER_ITEM = 20
PRICE_INTEGER_DIGITS = 12
CENT = Decimal("0.01")
# ``items.price`` is numeric(12,2) (a fixed column contract): 10 digits before the point. The
# general money format allows 12; an item price beyond the column is a 422, never an overflow.
PRICE_MAX = Decimal("9999999999.99")
TAG_RE = re.compile(r"^[a-z0-9-]{1,50}$")
# Money as text: plain digits with an optional fraction (no sign, exponent, blanks or NaN).
MONEY_TEXT_RE = re.compile(r"[0-9]{1,40}(\.[0-9]{1,40})?")


def parse_money(value: object, field_name: str = "price") -> Decimal:
    """A price from a string (plain digits, optional fraction), int, float or Decimal: finite,
    ≥ 0, at most two decimal places and at most 12 digits before the point. Floats are read
    through their shortest repr (``19.9`` is ``Decimal("19.9")``), so no binary fraction ever
    leaks into a stored amount."""
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
    if amount >= Decimal(10) ** PRICE_INTEGER_DIGITS:
        raise InvalidInput(
            f"{field_name} must have at most {PRICE_INTEGER_DIGITS} digits before the point", field_name
        )
    cents = amount.quantize(CENT)
    if cents != amount:
        raise InvalidInput(f"{field_name} must have at most two decimal places", field_name)
    return cents


def parse_price(value: object, field_name: str = "price") -> Decimal:
    """Money that fits ``items.price``: ``parse_money`` and at most ``PRICE_MAX``."""
    amount = parse_money(value, field_name)
    if amount > PRICE_MAX:
        raise InvalidInput(f"{field_name} must be at most {PRICE_MAX}", field_name)
    return amount


def check_text(value: str, field_name: str) -> str:
    """No NUL characters: PostgreSQL text cannot hold them (the driver would fail, not us)."""
    if "\x00" in value:
        raise InvalidInput(f"{field_name} must not contain NUL characters", field_name)
    return value


def check_title(title: str) -> str:
    if not isinstance(title, str) or not 1 <= len(title) <= TITLE_MAX or not title.strip():
        raise InvalidInput(f"title must be 1-{TITLE_MAX} characters, not only blanks", "title")
    return check_text(title, "title")


def check_description(description: str | None) -> str | None:
    if description is not None and (not isinstance(description, str) or len(description) > DESCRIPTION_MAX):
        raise InvalidInput(f"description must be at most {DESCRIPTION_MAX} characters", "description")
    return check_text(description, "description") if description is not None else None


def normalise_tags(names: Iterable[str]) -> tuple[str, ...]:
    """Lower-cased, de-duplicated, sorted; each 1-50 of ``[a-z0-9-]``; at most 20."""
    found: set[str] = set()
    for name in names:
        if not isinstance(name, str):
            raise InvalidInput("tags must be strings", "tags")
        tag = name.strip().lower()
        if not TAG_RE.fullmatch(tag):
            raise InvalidInput(f"tag {name!r} must be 1-{TAG_MAX} characters of a-z, 0-9 and -", "tags")
        found.add(tag)
    if len(found) > TAGS_PER_ITEM:
        raise InvalidInput(f"an item has at most {TAGS_PER_ITEM} tags", "tags")
    return tuple(sorted(found))


@dataclass(slots=True)
class Item:
    """Something for sale. ``id`` is ``None`` until the repository has stored it."""

    title: str
    price: Decimal
    owner_id: int
    description: str | None = None
    is_active: bool = True
    tags: tuple[str, ...] = field(default_factory=tuple)
    id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def new(
        cls,
        *,
        title: str,
        price: object,
        owner_id: int,
        now: datetime,
        description: str | None = None,
        is_active: bool = True,
        tags: Iterable[str] = (),
    ) -> Item:
        return cls(
            title=check_title(title),
            price=parse_price(price),
            owner_id=owner_id,
            description=check_description(description),
            is_active=bool(is_active),
            tags=normalise_tags(tags),
            created_at=now,
            updated_at=now,
        )

    def change(self, now: datetime, **values: object) -> bool:
        """Validate and set fields; bump ``updated_at`` only when a value really changed."""
        checked: dict[str, object] = {}
        for name, value in values.items():
            if name == "title":
                checked[name] = check_title(value)  # type: ignore[arg-type]
            elif name == "description":
                checked[name] = check_description(value)  # type: ignore[arg-type]
            elif name == "price":
                checked[name] = parse_price(value)
            elif name == "tags":
                checked[name] = normalise_tags(value)  # type: ignore[arg-type]
            elif name in ("is_active", "owner_id"):
                checked[name] = value
            else:
                raise AttributeError(f"Item has no writable field {name!r}")
        changed = False
        for name, value in checked.items():
            if getattr(self, name) != value:
                setattr(self, name, value)
                changed = True
        if changed:
            self.updated_at = now
        return changed
