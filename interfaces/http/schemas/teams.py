"""Request and response schemas of the teams context.

The schemas say what the domain accepts (``domain.teams``): names 1-100 characters, not only
blanks, no NUL; ``headquarters`` at most 200; ``age`` a whole number 0-10000 or null. A hero's
``secret_name`` is null in every response to anyone but a superuser (the use cases redact it).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import (
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)
from pydantic.json_schema import SkipJsonSchema

from domain.teams import AGE_MAX, AGE_MIN, HEADQUARTERS_MAX, HERO_NAME_MAX, SECRET_NAME_MAX, TEAM_NAME_MAX
from interfaces.http.schemas.common import NO_NUL, NOT_BLANK, InputModel, OutputModel, WholeNumber, omitted

TeamName = Annotated[str, StringConstraints(min_length=1, max_length=TEAM_NAME_MAX, pattern=NOT_BLANK)]
Headquarters = Annotated[str, StringConstraints(max_length=HEADQUARTERS_MAX, pattern=NO_NUL)]
HeroName = Annotated[str, StringConstraints(min_length=1, max_length=HERO_NAME_MAX, pattern=NOT_BLANK)]
SecretName = Annotated[str, StringConstraints(min_length=1, max_length=SECRET_NAME_MAX, pattern=NOT_BLANK)]
Age = Annotated[int, Field(ge=AGE_MIN, le=AGE_MAX), WholeNumber]
# The mean of known ages, exact to two places (application.teams.views.average_age), as a JSON
# number: 33.33, never a long binary fraction.
AverageAge = Annotated[
    Decimal,
    PlainSerializer(float, return_type=float),
    WithJsonSchema({"type": "number", "minimum": AGE_MIN, "maximum": AGE_MAX}),
]


def _not_null(value: object) -> object:
    if value is None:
        raise ValueError("may be omitted but not null")
    return value


class TeamIn(InputModel):
    name: TeamName
    headquarters: Headquarters | None = None


class TeamPatchIn(InputModel):
    """Omitted fields stay as they are; ``headquarters`` may be cleared with null."""

    name: TeamName | SkipJsonSchema[None] = omitted()
    headquarters: Headquarters | None = None

    _name_not_null = field_validator("name", mode="before")(_not_null)


class HeroIn(InputModel):
    name: HeroName
    secret_name: SecretName
    age: Age | None = None


class HeroPatchIn(InputModel):
    """Omitted fields stay as they are; ``age`` may be cleared with null."""

    name: HeroName | SkipJsonSchema[None] = omitted()
    secret_name: SecretName | SkipJsonSchema[None] = omitted()
    age: Age | None = None

    _names_not_null = field_validator("name", "secret_name", mode="before")(_not_null)


class MembershipIn(InputModel):
    is_training: bool


class MemberOut(OutputModel):
    hero_id: int
    name: str
    secret_name: str | None = Field(description="Superusers only: null for everyone else")
    is_training: bool


class TeamOut(OutputModel):
    id: int
    name: str
    headquarters: str | None
    members: list[MemberOut]


class HeroTeamOut(OutputModel):
    team_id: int
    name: str
    is_training: bool


class HeroOut(OutputModel):
    id: int
    name: str
    secret_name: str | None = Field(description="Superusers only: null for everyone else")
    age: int | None
    teams: list[HeroTeamOut]


class TeamStatsOut(OutputModel):
    team_id: int
    team_name: str
    hero_count: int
    avg_age: AverageAge | None
