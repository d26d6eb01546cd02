"""Teams ports: teams, heroes and memberships (write side), the teams query service (read
side, the hand-written statistics statement included), and ``TeamsUnitOfWork``.

Cross-context use (docs/adr/0011-per-context-layout.md): none.
"""

from __future__ import annotations

from typing import Protocol

from application.pagination import PageRequest, Slice
from application.ports import UnitOfWork
from application.teams.views import HeroFilter, HeroView, TeamFilter, TeamStatsView, TeamView
from domain.teams import Hero, Membership, Team


class TeamRepository(Protocol):
    async def add(self, team: Team) -> Team:
        """Raises ``AlreadyExists("Team", "name")`` when the name is taken (case-insensitive)."""
        ...

    async def get(self, team_id: int, *, for_update: bool = False) -> Team | None:
        """With ``for_update`` the row stays locked until the unit of work ends: a check of
        ``If-Match`` and the write after it, or two membership changes, see the same team."""
        ...

    async def view(self, team_id: int) -> TeamView | None:
        """The team with its members as this unit of work sees it (for ``If-Match``)."""
        ...

    async def update(self, team: Team) -> None:
        """Raises ``AlreadyExists("Team", "name")`` when the new name is taken."""
        ...

    async def delete(self, team_id: int) -> None:
        """Its memberships go with it (ON DELETE CASCADE); the heroes stay."""
        ...


class HeroRepository(Protocol):
    async def add(self, hero: Hero) -> Hero:
        """Raises ``AlreadyExists("Hero", "name")`` when the name is taken (case-insensitive)."""
        ...

    async def get(self, hero_id: int, *, for_update: bool = False) -> Hero | None: ...

    async def view(self, hero_id: int) -> HeroView | None:
        """The hero with its teams as this unit of work sees it (for ``If-Match``)."""
        ...

    async def update(self, hero: Hero) -> None:
        """Raises ``AlreadyExists("Hero", "name")`` when the new name is taken."""
        ...

    async def delete(self, hero_id: int) -> None:
        """Its memberships go with it (ON DELETE CASCADE)."""
        ...


class MembershipRepository(Protocol):
    async def get(self, team_id: int, hero_id: int) -> Membership | None: ...

    async def add(self, membership: Membership) -> None:
        """Raises ``Conflict`` when the team or the hero does not exist (the foreign keys)."""
        ...

    async def update(self, membership: Membership) -> None: ...

    async def delete(self, team_id: int, hero_id: int) -> bool:
        """True when there was such a membership."""
        ...


class TeamQueries(Protocol):
    async def team(self, team_id: int) -> TeamView | None:
        """The team and its members (secret names included: the use case redacts them)."""
        ...

    async def teams(self, flt: TeamFilter, page: PageRequest) -> Slice[TeamView]:
        """A page of teams with their members, in a constant number of statements."""
        ...

    async def hero(self, hero_id: int) -> HeroView | None: ...

    async def heroes(self, flt: HeroFilter, page: PageRequest) -> Slice[HeroView]:
        """A page of heroes with their teams, in a constant number of statements."""
        ...

    async def stats(self) -> list[TeamStatsView]:
        """Every team with its hero count and average known age, most heroes first (ties:
        the older team first), in one statement."""
        ...


class TeamsUnitOfWork(UnitOfWork, Protocol):
    @property
    def teams(self) -> TeamRepository: ...
    @property
    def heroes(self) -> HeroRepository: ...
    @property
    def memberships(self) -> MembershipRepository: ...
