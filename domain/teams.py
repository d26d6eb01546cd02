"""Teams: teams, heroes, and the memberships that link them (a hero may be in training).

Names are unique case-insensitively (``Avengers`` and ``avengers`` are one team), like usernames
and item titles; a hero's ``age`` is a whole number of years from 0 to 10000, or unknown
(``None``). Every way in (HTTP, CLI seed) goes through these rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.entity import UNSET, Unset
from domain.errors import InvalidInput
from domain.text import check_text

TEAM_NAME_MAX = 100
HEADQUARTERS_MAX = 200
HERO_NAME_MAX = 100
SECRET_NAME_MAX = 100
AGE_MIN, AGE_MAX = 0, 10_000


def _check_name(value: object, field_name: str, maximum: int) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= maximum or not value.strip():
        raise InvalidInput(f"{field_name} must be 1-{maximum} characters, not only blanks", field_name)
    return check_text(value, field_name)


def check_team_name(name: object) -> str:
    return _check_name(name, "name", TEAM_NAME_MAX)


def check_hero_name(name: object) -> str:
    return _check_name(name, "name", HERO_NAME_MAX)


def check_secret_name(secret_name: object) -> str:
    return _check_name(secret_name, "secret_name", SECRET_NAME_MAX)


def check_headquarters(headquarters: object) -> str | None:
    if headquarters is None:
        return None
    if not isinstance(headquarters, str) or len(headquarters) > HEADQUARTERS_MAX:
        raise InvalidInput(f"headquarters must be at most {HEADQUARTERS_MAX} characters", "headquarters")
    return check_text(headquarters, "headquarters")


def check_age(age: object, field_name: str = "age") -> int | None:
    """``None`` (unknown) or a whole number from 0 to 10000; a boolean is not a number."""
    if age is None:
        return None
    if not isinstance(age, int) or isinstance(age, bool) or not AGE_MIN <= age <= AGE_MAX:
        raise InvalidInput(f"{field_name} must be a whole number from {AGE_MIN} to {AGE_MAX}", field_name)
    return age


def _changed(entity: object, values: dict[str, object]) -> bool:
    """Set every value that differs; True when something did."""
    changed = False
    for name, value in values.items():
        if getattr(entity, name) != value:
            setattr(entity, name, value)
            changed = True
    return changed


@dataclass(slots=True)
class Team:
    """``id`` is ``None`` until the repository has stored it."""

    name: str
    headquarters: str | None = None
    id: int | None = None

    @classmethod
    def new(cls, name: str, headquarters: str | None = None) -> Team:
        return cls(check_team_name(name), check_headquarters(headquarters))

    def revise(self, *, name: str | Unset = UNSET, headquarters: str | Unset | None = UNSET) -> bool:
        """True when something really changed."""
        values: dict[str, object] = {}
        if not isinstance(name, Unset):
            values["name"] = check_team_name(name)
        if not isinstance(headquarters, Unset):
            values["headquarters"] = check_headquarters(headquarters)
        return _changed(self, values)


@dataclass(slots=True)
class Hero:
    """``id`` is ``None`` until the repository has stored it."""

    name: str
    secret_name: str
    age: int | None = None
    id: int | None = None

    @classmethod
    def new(cls, name: str, secret_name: str, age: int | None = None) -> Hero:
        return cls(check_hero_name(name), check_secret_name(secret_name), check_age(age))

    def revise(
        self,
        *,
        name: str | Unset = UNSET,
        secret_name: str | Unset = UNSET,
        age: int | Unset | None = UNSET,
    ) -> bool:
        """True when something really changed."""
        values: dict[str, object] = {}
        if not isinstance(name, Unset):
            values["name"] = check_hero_name(name)
        if not isinstance(secret_name, Unset):
            values["secret_name"] = check_secret_name(secret_name)
        if not isinstance(age, Unset):
            values["age"] = check_age(age)
        return _changed(self, values)


@dataclass(slots=True)
class Membership:
    """A hero in a team; ``is_training`` while the hero is still learning the ropes."""

    team_id: int
    hero_id: int
    is_training: bool = False
