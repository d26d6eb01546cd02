"""Teams views and filters.

A hero's ``secret_name`` is for superusers only: query services fill it in, and the use cases
hand every other caller the view ``seen_by`` them, with it ``None`` in the hero and in every
team member. The ``ETag`` is computed from that very representation (a strong tag: a hash of
every field it shows), so it changes whenever what the caller sees changes, and never lets a
caller who cannot see the secret name learn anything about it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from application.common import Actor

AVG_AGE_PLACES = Decimal("0.01")


def representation_etag(kind: str, payload: object) -> str:
    """A strong, quoted ETag of one representation: a digest of its canonical JSON."""
    text = json.dumps([kind, payload], separators=(",", ":"), ensure_ascii=False)
    return f'"{hashlib.sha256(text.encode()).hexdigest()[:20]}"'


def _sees_secrets(actor: Actor | None) -> bool:
    return actor is not None and actor.is_superuser


@dataclass(frozen=True, slots=True)
class MemberView:
    hero_id: int
    name: str
    secret_name: str | None
    is_training: bool


@dataclass(frozen=True, slots=True)
class TeamView:
    id: int
    name: str
    headquarters: str | None
    members: tuple[MemberView, ...] = ()

    def seen_by(self, actor: Actor | None) -> TeamView:
        """The team as ``actor`` (``None``: anonymous) may see it: members' secret names only
        for superusers."""
        if _sees_secrets(actor):
            return self
        return replace(self, members=tuple(replace(m, secret_name=None) for m in self.members))

    @property
    def etag(self) -> str:
        members = [[m.hero_id, m.name, m.secret_name, m.is_training] for m in self.members]
        return representation_etag("team", [self.id, self.name, self.headquarters, members])


@dataclass(frozen=True, slots=True)
class HeroTeamView:
    team_id: int
    name: str
    is_training: bool


@dataclass(frozen=True, slots=True)
class HeroView:
    id: int
    name: str
    secret_name: str | None
    age: int | None
    teams: tuple[HeroTeamView, ...] = ()

    def seen_by(self, actor: Actor | None) -> HeroView:
        """The hero as ``actor`` may see it: the secret name only for superusers."""
        return self if _sees_secrets(actor) else replace(self, secret_name=None)

    @property
    def etag(self) -> str:
        teams = [[t.team_id, t.name, t.is_training] for t in self.teams]
        return representation_etag("hero", [self.id, self.name, self.secret_name, self.age, teams])


@dataclass(frozen=True, slots=True)
class TeamFilter:
    q: str | None = None


@dataclass(frozen=True, slots=True)
class HeroFilter:
    q: str | None = None
    team_id: int | None = None
    min_age: int | None = None
    max_age: int | None = None


def average_age(age_sum: int, aged: int) -> Decimal | None:
    """The mean of ``aged`` known ages summing to ``age_sum``, exact to two places (half up);
    ``None`` when no age is known. Engines disagree on ``avg()`` (PostgreSQL's numeric, MariaDB's
    four-place DECIMAL, SQLite's float), so the statement returns the integer sum and count and
    the division happens here, identically for every engine."""
    if aged == 0:
        return None
    return (Decimal(age_sum) / Decimal(aged)).quantize(AVG_AGE_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class TeamStatsView:
    team_id: int
    team_name: str
    hero_count: int
    avg_age: Decimal | None
