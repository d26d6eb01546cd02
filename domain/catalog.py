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
from decimal import Decimal

from domain.entity import UNSET, Entity, Unset, given
from domain.errors import InvalidInput
from domain.money import largest, money_pattern, parse_money
from domain.text import check_text

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
TAG_MAX = 50
TAGS_PER_ITEM = 20
# ``items.price`` is numeric(12,2) (a fixed column contract): 10 digits before the point. Money
# in general allows 12; an item price beyond the column is a 422, never an overflow.
PRICE_INTEGER_DIGITS = 10
PRICE_MAX = largest(PRICE_INTEGER_DIGITS)
PRICE_PATTERN = money_pattern(PRICE_INTEGER_DIGITS)
TAG_PATTERN = rf"^[a-z0-9-]{{1,{TAG_MAX}}}$"
TAG_RE = re.compile(TAG_PATTERN)


def parse_price(value: object, field_name: str = "price") -> Decimal:
    """Money that fits ``items.price``."""
    return parse_money(value, field_name, maximum=PRICE_MAX)


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
class Item(Entity):
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

    def revise(
        self,
        now: datetime,
        *,
        title: str | Unset = UNSET,
        price: object = UNSET,
        description: str | Unset | None = UNSET,
        is_active: bool | Unset = UNSET,
        tags: Iterable[str] | Unset = UNSET,
    ) -> bool:
        """Edit what the owner describes, with the same rules as a new item; ``tags`` replaces
        the whole set. True when something really changed."""
        values: dict[str, object] = {}
        if not isinstance(title, Unset):
            values["title"] = check_title(title)
        if price is not UNSET:
            values["price"] = parse_price(price)
        if not isinstance(description, Unset):
            values["description"] = check_description(description)
        if not isinstance(is_active, Unset):
            values["is_active"] = bool(is_active)
        if not isinstance(tags, Unset):
            values["tags"] = normalise_tags(tags)
        return self._record(now, values)

    def transfer_to(self, now: datetime, owner_id: int) -> bool:
        """Hand the item to another owner (who must be an active user: the use case checks)."""
        return self._record(now, given(owner_id=owner_id))
