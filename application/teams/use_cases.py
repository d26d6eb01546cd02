"""Teams use cases: teams, heroes, memberships, and the team statistics.

Authorisation lives here: any signed-in user creates and edits teams, heroes and memberships;
only superusers delete teams and heroes, and only superusers see a hero's ``secret_name`` (every
other caller, anonymous ones included, gets each view ``seen_by`` them). ``If-Match`` is checked
against the representation the caller sees, inside the transaction, with the row locked. Every
write runs through ``Transactions``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from application.common import UNSET, Actor, Unset
from application.pagination import CursorCodec, Page, PageParams, scope_of
from application.preconditions import if_match_ok, needs_etag
from application.teams.ports import TeamQueries, TeamsUnitOfWork
from application.teams.views import HeroFilter, HeroView, TeamFilter, TeamStatsView, TeamView
from application.transactions import Transactions
from domain.errors import InvalidInput, NotFound, PreconditionFailed
from domain.teams import Hero, Membership, Team, check_age
from domain.text import check_text

TEAM_SORTS = ("name", "id")
HERO_SORTS = ("name", "id")

TeamsTransactions = Transactions[TeamsUnitOfWork]


def team_not_found(team_id: int) -> NotFound:
    return NotFound(f"Team {team_id} not found")


def hero_not_found(hero_id: int) -> NotFound:
    return NotFound(f"Hero {hero_id} not found")


def _precondition(if_match: str | None, etag: str, what: str) -> None:
    if not if_match_ok(if_match, etag):
        raise PreconditionFailed(f"The {what} has changed since it was read (If-Match does not match)")


# --- commands -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateTeamCommand:
    name: str
    headquarters: str | None = None


@dataclass(frozen=True, slots=True)
class PatchTeamCommand:
    """``UNSET`` fields are left alone; ``headquarters`` may be cleared with ``None``."""

    name: str | Unset = UNSET
    headquarters: str | Unset | None = UNSET


@dataclass(frozen=True, slots=True)
class CreateHeroCommand:
    name: str
    secret_name: str
    age: int | None = None


@dataclass(frozen=True, slots=True)
class PatchHeroCommand:
    """``UNSET`` fields are left alone; ``age`` may be cleared with ``None``."""

    name: str | Unset = UNSET
    secret_name: str | Unset = UNSET
    age: int | Unset | None = UNSET


@dataclass(frozen=True, slots=True)
class ListHeroesQuery:
    q: str | None = None
    team_id: int | None = None
    min_age: int | None = None
    max_age: int | None = None


# --- teams ----------------------------------------------------------------------------------------


class _TeamRead:
    def __init__(self, queries: TeamQueries) -> None:
        self._queries = queries

    async def _view(self, actor: Actor | None, team_id: int) -> TeamView:
        view = await self._queries.team(team_id)
        if view is None:  # unknown, or deleted by someone else right after our commit
            raise team_not_found(team_id)
        return view.seen_by(actor)


class _TeamWrite(_TeamRead):
    def __init__(self, tx: TeamsTransactions, queries: TeamQueries) -> None:
        super().__init__(queries)
        self._tx = tx


async def _lock_team(uow: TeamsUnitOfWork, team_id: int) -> Team:
    team = await uow.teams.get(team_id, for_update=True)
    if team is None:
        raise team_not_found(team_id)
    return team


async def _team_unchanged(uow: TeamsUnitOfWork, actor: Actor, team_id: int, if_match: str | None) -> None:
    """``If-Match`` against the team as ``actor`` sees it (its row locked by the caller)."""
    if needs_etag(if_match):
        current = await uow.teams.view(team_id)
        assert current is not None  # the row is locked
        _precondition(if_match, current.seen_by(actor).etag, "team")


class CreateTeam(_TeamWrite):
    async def __call__(self, actor: Actor, cmd: CreateTeamCommand) -> TeamView:
        team = Team.new(cmd.name, cmd.headquarters)

        async def work(uow: TeamsUnitOfWork) -> int:
            stored = await uow.teams.add(team)
            assert stored.id is not None
            return stored.id

        return await self._view(actor, await self._tx(work))


class PatchTeam(_TeamWrite):
    async def __call__(
        self, actor: Actor, team_id: int, cmd: PatchTeamCommand, *, if_match: str | None = None
    ) -> TeamView:
        async def work(uow: TeamsUnitOfWork) -> None:
            team = await _lock_team(uow, team_id)
            await _team_unchanged(uow, actor, team_id, if_match)
            if team.revise(name=cmd.name, headquarters=cmd.headquarters):
                await uow.teams.update(team)

        await self._tx(work)
        return await self._view(actor, team_id)


class DeleteTeam:
    """Superusers only; the memberships go with the team, the heroes stay."""

    def __init__(self, tx: TeamsTransactions) -> None:
        self._tx = tx

    async def __call__(self, actor: Actor, team_id: int, *, if_match: str | None = None) -> None:
        actor.require_superuser()

        async def work(uow: TeamsUnitOfWork) -> None:
            await _lock_team(uow, team_id)
            await _team_unchanged(uow, actor, team_id, if_match)
            await uow.teams.delete(team_id)

        await self._tx(work)


class GetTeam(_TeamRead):
    async def __call__(self, actor: Actor | None, team_id: int) -> TeamView:
        return await self._view(actor, team_id)


def _query_text(q: str | None) -> str | None:
    return check_text(q, "q") if q else None


class ListTeams:
    def __init__(self, queries: TeamQueries, cursors: CursorCodec) -> None:
        self._queries, self._cursors = queries, cursors

    async def __call__(self, actor: Actor | None, q: str | None, params: PageParams) -> Page[TeamView]:
        flt = TeamFilter(q=_query_text(q))
        scope = scope_of("teams", flt.q)
        request = self._cursors.page_request(params, TEAM_SORTS, scope)
        found = await self._queries.teams(flt, request)
        page = self._cursors.page(request, found, scope)
        return replace(page, items=[v.seen_by(actor) for v in page.items])


# --- memberships ----------------------------------------------------------------------------------


class SetMembership(_TeamWrite):
    """Adds the hero to the team, or updates ``is_training`` when the hero is a member already.
    The team's row is locked first, so two requests for one link queue instead of both
    inserting it."""

    async def __call__(self, actor: Actor, team_id: int, hero_id: int, is_training: bool) -> TeamView:
        async def work(uow: TeamsUnitOfWork) -> None:
            await _lock_team(uow, team_id)
            if await uow.heroes.get(hero_id) is None:
                raise hero_not_found(hero_id)
            current = await uow.memberships.get(team_id, hero_id)
            if current is None:
                await uow.memberships.add(Membership(team_id, hero_id, is_training))
            elif current.is_training != is_training:
                current.is_training = is_training
                await uow.memberships.update(current)

        await self._tx(work)
        return await self._view(actor, team_id)


class RemoveMembership:
    """404 for an unknown team, and for a hero who is not a member (unknown heroes included)."""

    def __init__(self, tx: TeamsTransactions) -> None:
        self._tx = tx

    async def __call__(self, actor: Actor, team_id: int, hero_id: int) -> None:
        async def work(uow: TeamsUnitOfWork) -> None:
            await _lock_team(uow, team_id)
            if not await uow.memberships.delete(team_id, hero_id):
                raise NotFound(f"Hero {hero_id} is not a member of team {team_id}")

        await self._tx(work)


# --- heroes ---------------------------------------------------------------------------------------


class _HeroRead:
    def __init__(self, queries: TeamQueries) -> None:
        self._queries = queries

    async def _view(self, actor: Actor | None, hero_id: int) -> HeroView:
        view = await self._queries.hero(hero_id)
        if view is None:
            raise hero_not_found(hero_id)
        return view.seen_by(actor)


class _HeroWrite(_HeroRead):
    def __init__(self, tx: TeamsTransactions, queries: TeamQueries) -> None:
        super().__init__(queries)
        self._tx = tx


async def _lock_hero(uow: TeamsUnitOfWork, actor: Actor, hero_id: int, if_match: str | None) -> Hero:
    """The hero, its row locked, checked against ``If-Match`` as ``actor`` sees it."""
    hero = await uow.heroes.get(hero_id, for_update=True)
    if hero is None:
        raise hero_not_found(hero_id)
    if needs_etag(if_match):
        current = await uow.heroes.view(hero_id)
        assert current is not None  # the row is locked
        _precondition(if_match, current.seen_by(actor).etag, "hero")
    return hero


class CreateHero(_HeroWrite):
    async def __call__(self, actor: Actor, cmd: CreateHeroCommand) -> HeroView:
        hero = Hero.new(cmd.name, cmd.secret_name, cmd.age)

        async def work(uow: TeamsUnitOfWork) -> int:
            stored = await uow.heroes.add(hero)
            assert stored.id is not None
            return stored.id

        return await self._view(actor, await self._tx(work))


class PatchHero(_HeroWrite):
    """Any signed-in user may edit a hero, ``secret_name`` included (it stays hidden from them)."""

    async def __call__(
        self, actor: Actor, hero_id: int, cmd: PatchHeroCommand, *, if_match: str | None = None
    ) -> HeroView:
        async def work(uow: TeamsUnitOfWork) -> None:
            hero = await _lock_hero(uow, actor, hero_id, if_match)
            if hero.revise(name=cmd.name, secret_name=cmd.secret_name, age=cmd.age):
                await uow.heroes.update(hero)

        await self._tx(work)
        return await self._view(actor, hero_id)


class DeleteHero:
    """Superusers only; the hero's memberships go with it."""

    def __init__(self, tx: TeamsTransactions) -> None:
        self._tx = tx

    async def __call__(self, actor: Actor, hero_id: int, *, if_match: str | None = None) -> None:
        actor.require_superuser()

        async def work(uow: TeamsUnitOfWork) -> None:
            await _lock_hero(uow, actor, hero_id, if_match)
            await uow.heroes.delete(hero_id)

        await self._tx(work)


class GetHero(_HeroRead):
    async def __call__(self, actor: Actor | None, hero_id: int) -> HeroView:
        return await self._view(actor, hero_id)


def hero_filter(query: ListHeroesQuery) -> HeroFilter:
    min_age = check_age(query.min_age, "min_age")
    max_age = check_age(query.max_age, "max_age")
    if min_age is not None and max_age is not None and min_age > max_age:
        raise InvalidInput("min_age must not be greater than max_age", "min_age")
    return HeroFilter(q=_query_text(query.q), team_id=query.team_id, min_age=min_age, max_age=max_age)


class ListHeroes:
    def __init__(self, queries: TeamQueries, cursors: CursorCodec) -> None:
        self._queries, self._cursors = queries, cursors

    async def __call__(
        self, actor: Actor | None, query: ListHeroesQuery, params: PageParams
    ) -> Page[HeroView]:
        flt = hero_filter(query)
        scope = scope_of("heroes", flt.q, flt.team_id, flt.min_age, flt.max_age)
        request = self._cursors.page_request(params, HERO_SORTS, scope)
        found = await self._queries.heroes(flt, request)
        page = self._cursors.page(request, found, scope)
        return replace(page, items=[v.seen_by(actor) for v in page.items])


# --- statistics -----------------------------------------------------------------------------------


class GetTeamStats:
    def __init__(self, queries: TeamQueries) -> None:
        self._queries = queries

    async def __call__(self) -> list[TeamStatsView]:
        return await self._queries.stats()
