"""Fakes of the teams ports: teams, heroes, memberships (write side) and the teams query service,
with the database's rules: names unique case-insensitively, the age CHECK, the memberships'
foreign keys with ON DELETE CASCADE on both sides."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from application.pagination import PageRequest, Slice
from application.teams.views import (
    HeroFilter,
    HeroTeamView,
    HeroView,
    MemberView,
    TeamFilter,
    TeamStatsView,
    TeamView,
    average_age,
)
from domain.errors import AlreadyExists, Conflict
from domain.teams import AGE_MAX, AGE_MIN, Hero, Membership, Team
from tests.fakes.paging import fake_page
from tests.fakes.state import FakeDatabase, FakeState

if TYPE_CHECKING:
    from tests.fakes.uow import FakeUnitOfWork


def team_view(state: FakeState, team_id: int) -> TeamView | None:
    team = state.teams.get(team_id)
    if team is None:
        return None
    members = [
        MemberView(
            m.hero_id, state.heroes[m.hero_id].name, state.heroes[m.hero_id].secret_name, m.is_training
        )
        for (t, _), m in sorted(state.memberships.items())
        if t == team_id
    ]
    return TeamView(team_id, team.name, team.headquarters, tuple(members))


def hero_view(state: FakeState, hero_id: int) -> HeroView | None:
    hero = state.heroes.get(hero_id)
    if hero is None:
        return None
    teams = [
        HeroTeamView(m.team_id, state.teams[m.team_id].name, m.is_training)
        for (_, h), m in sorted(state.memberships.items())
        if h == hero_id
    ]
    return HeroView(hero_id, hero.name, hero.secret_name, hero.age, tuple(teams))


def _taken(rows: dict[int, Team] | dict[int, Hero], row: Team | Hero) -> bool:
    return any(other.id != row.id and other.name.lower() == row.name.lower() for other in rows.values())


class FakeTeamRepository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    async def add(self, team: Team) -> Team:
        self._uow.db.run("teams.add")
        state = self._uow.state
        if _taken(state.teams, team):  # uq_teams_name_lower
            raise AlreadyExists("Team", "name")
        team.id = state.new_id("teams")
        state.teams[team.id] = copy.copy(team)
        return team

    async def get(self, team_id: int, *, for_update: bool = False) -> Team | None:
        self._uow.db.run("teams.get", for_update=for_update)
        team = self._uow.state.teams.get(team_id)
        return copy.copy(team) if team is not None else None

    async def view(self, team_id: int) -> TeamView | None:
        self._uow.db.run("teams.view")
        return team_view(self._uow.state, team_id)

    async def update(self, team: Team) -> None:
        self._uow.db.run("teams.update")
        assert team.id is not None
        if _taken(self._uow.state.teams, team):
            raise AlreadyExists("Team", "name")
        self._uow.state.teams[team.id] = copy.copy(team)

    async def delete(self, team_id: int) -> None:
        self._uow.db.run("teams.delete")
        state = self._uow.state
        state.teams.pop(team_id, None)
        for key in [k for k in state.memberships if k[0] == team_id]:  # ON DELETE CASCADE
            del state.memberships[key]


class FakeHeroRepository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def _store(self, hero: Hero) -> None:
        assert hero.id is not None
        if _taken(self._uow.state.heroes, hero):  # uq_heroes_name_lower
            raise AlreadyExists("Hero", "name")
        if hero.age is not None and not AGE_MIN <= hero.age <= AGE_MAX:  # ck_heroes_age_range
            raise Conflict("The change conflicts with existing data")
        self._uow.state.heroes[hero.id] = copy.copy(hero)

    async def add(self, hero: Hero) -> Hero:
        self._uow.db.run("heroes.add")
        hero.id = self._uow.state.new_id("heroes")
        try:
            self._store(hero)
        except Exception:
            hero.id = None
            raise
        return hero

    async def get(self, hero_id: int, *, for_update: bool = False) -> Hero | None:
        self._uow.db.run("heroes.get", for_update=for_update)
        hero = self._uow.state.heroes.get(hero_id)
        return copy.copy(hero) if hero is not None else None

    async def view(self, hero_id: int) -> HeroView | None:
        self._uow.db.run("heroes.view")
        return hero_view(self._uow.state, hero_id)

    async def update(self, hero: Hero) -> None:
        self._uow.db.run("heroes.update")
        self._store(hero)

    async def delete(self, hero_id: int) -> None:
        self._uow.db.run("heroes.delete")
        state = self._uow.state
        state.heroes.pop(hero_id, None)
        for key in [k for k in state.memberships if k[1] == hero_id]:  # ON DELETE CASCADE
            del state.memberships[key]


class FakeMembershipRepository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    async def get(self, team_id: int, hero_id: int) -> Membership | None:
        self._uow.db.run("memberships.get")
        found = self._uow.state.memberships.get((team_id, hero_id))
        return copy.copy(found) if found is not None else None

    async def add(self, membership: Membership) -> None:
        self._uow.db.run("memberships.add")
        state = self._uow.state
        if membership.team_id not in state.teams or membership.hero_id not in state.heroes:
            raise Conflict("The Team membership refers to a row that does not exist")
        key = (membership.team_id, membership.hero_id)
        if key in state.memberships:  # pk_team_members
            raise Conflict("The change conflicts with existing data")
        state.memberships[key] = copy.copy(membership)

    async def update(self, membership: Membership) -> None:
        self._uow.db.run("memberships.update")
        key = (membership.team_id, membership.hero_id)
        if key in self._uow.state.memberships:
            self._uow.state.memberships[key] = copy.copy(membership)

    async def delete(self, team_id: int, hero_id: int) -> bool:
        self._uow.db.run("memberships.delete")
        return self._uow.state.memberships.pop((team_id, hero_id), None) is not None


def hero_matches(state: FakeState, hero: Hero, flt: HeroFilter) -> bool:
    return (
        (not flt.q or flt.q.lower() in hero.name.lower())
        and (flt.team_id is None or (flt.team_id, hero.id) in state.memberships)
        and (flt.min_age is None or (hero.age is not None and hero.age >= flt.min_age))
        and (flt.max_age is None or (hero.age is not None and hero.age <= flt.max_age))
    )


class FakeTeamQueries:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db

    async def team(self, team_id: int) -> TeamView | None:
        return team_view(self._db.state, team_id)

    async def teams(self, flt: TeamFilter, page: PageRequest) -> Slice[TeamView]:
        state = self._db.state
        views = [
            team_view(state, team_id)
            for team_id, team in state.teams.items()
            if not flt.q or flt.q.lower() in team.name.lower()
        ]
        return fake_page(views, page)

    async def hero(self, hero_id: int) -> HeroView | None:
        return hero_view(self._db.state, hero_id)

    async def heroes(self, flt: HeroFilter, page: PageRequest) -> Slice[HeroView]:
        state = self._db.state
        views = [hero_view(state, i) for i, hero in state.heroes.items() if hero_matches(state, hero, flt)]
        return fake_page(views, page)

    async def stats(self) -> list[TeamStatsView]:
        state = self._db.state
        rows = []
        for team_id, team in state.teams.items():
            ages = [state.heroes[h].age for (t, h) in state.memberships if t == team_id]
            known = [age for age in ages if age is not None]
            rows.append(TeamStatsView(team_id, team.name, len(ages), average_age(sum(known), len(known))))
        return sorted(rows, key=lambda r: (-r.hero_count, r.team_id))
