"""Teams adapters: team, hero and membership repositories (write side, inside a unit of work) and
the teams query service (read side, autocommit connection).

A list page is two statements whatever its size: the page of teams (or heroes) with the
filter's total (``fetch_page``), then every membership of the rows on it, joined to the other
side's names, in one ``IN (...)``. A single team or hero is the same two. The repositories read
views with the same loaders inside their unit of work (``If-Match`` is checked against them).

``GET /stats/teams`` is one hand-written statement (``STATS``) that runs unchanged on SQLite,
PostgreSQL and MariaDB: see its comment and docs/adr/0016-team-statistics.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    Table,
    bindparam,
    delete,
    exists,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

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
from domain.teams import Hero, Membership, Team
from infrastructure.persistence.database import ReadPath
from infrastructure.persistence.models import HeroRow, TeamRow, team_members
from infrastructure.persistence.queries import by_int, by_text, contains, fetch_page, reading

_teams = cast(Table, TeamRow.__table__)
_heroes = cast(Table, HeroRow.__table__)
_members = team_members

Executor = AsyncConnection | AsyncSession

_TEAM_COLUMNS = (_teams.c.id, _teams.c.name, _teams.c.headquarters)
_HERO_COLUMNS = (_heroes.c.id, _heroes.c.name, _heroes.c.secret_name, _heroes.c.age)
_TEAM_SORTS = {"name": by_text(_teams.c.name), "id": by_int(_teams.c.id)}
_HERO_SORTS = {"name": by_text(_heroes.c.name), "id": by_int(_heroes.c.id)}

_GET_TEAM = select(*_TEAM_COLUMNS).where(_teams.c.id == bindparam("team_id"))
_GET_HERO = select(*_HERO_COLUMNS).where(_heroes.c.id == bindparam("hero_id"))
# Every member of the listed teams, in hero id order.
_MEMBERS_OF = (
    select(_members.c.team_id, _heroes.c.id, _heroes.c.name, _heroes.c.secret_name, _members.c.is_training)
    .select_from(_members.join(_heroes, _heroes.c.id == _members.c.hero_id))
    .where(_members.c.team_id.in_(bindparam("team_ids", expanding=True)))
    .order_by(_members.c.team_id, _heroes.c.id)
)
# Every team of the listed heroes, in team id order.
_TEAMS_OF = (
    select(_members.c.hero_id, _teams.c.id, _teams.c.name, _members.c.is_training)
    .select_from(_members.join(_teams, _teams.c.id == _members.c.team_id))
    .where(_members.c.hero_id.in_(bindparam("hero_ids", expanding=True)))
    .order_by(_members.c.hero_id, _teams.c.id)
)

# Every team, with its hero count and the integer sum and count of its heroes' known ages; most
# heroes first, then the older team (lower id: a tie-break no collation can reorder). Plain SQL
# every engine reads alike: LEFT JOINs keep teams without heroes (count 0, no ages), the ORDER BY
# names an output column, GROUP BY lists both selected team columns. No avg(): it answers
# PostgreSQL's numeric, MariaDB's four-place DECIMAL and SQLite's float, so the adapter divides
# the exact sum by the count instead (``average_age``) and the rows are identical on each engine.
# The statement takes no values from the request; anything it ever takes is a bound parameter.
STATS = text(
    """
    SELECT t.id AS team_id,
           t.name AS team_name,
           count(m.hero_id) AS hero_count,
           count(h.age) AS aged,
           coalesce(sum(h.age), 0) AS age_sum
    FROM teams t
    LEFT JOIN team_members m ON m.team_id = t.id
    LEFT JOIN heroes h ON h.id = m.hero_id
    GROUP BY t.id, t.name
    ORDER BY hero_count DESC, t.id
    """
).columns(team_id=Integer, team_name=String, hero_count=Integer, aged=Integer, age_sum=Integer)


async def _members_of(conn: Executor, team_ids: Sequence[int]) -> dict[int, list[MemberView]]:
    found: dict[int, list[MemberView]] = {team_id: [] for team_id in team_ids}
    if team_ids:
        for row in await conn.execute(_MEMBERS_OF, {"team_ids": list(team_ids)}):
            found[row.team_id].append(MemberView(row.id, row.name, row.secret_name, row.is_training))
    return found


async def _teams_of(conn: Executor, hero_ids: Sequence[int]) -> dict[int, list[HeroTeamView]]:
    found: dict[int, list[HeroTeamView]] = {hero_id: [] for hero_id in hero_ids}
    if hero_ids:
        for row in await conn.execute(_TEAMS_OF, {"hero_ids": list(hero_ids)}):
            found[row.hero_id].append(HeroTeamView(row.id, row.name, row.is_training))
    return found


async def _team_views(conn: Executor, rows: Sequence[Any]) -> list[TeamView]:
    members = await _members_of(conn, [r.id for r in rows])
    return [TeamView(r.id, r.name, r.headquarters, tuple(members[r.id])) for r in rows]


async def _hero_views(conn: Executor, rows: Sequence[Any]) -> list[HeroView]:
    teams = await _teams_of(conn, [r.id for r in rows])
    return [HeroView(r.id, r.name, r.secret_name, r.age, tuple(teams[r.id])) for r in rows]


async def load_team(conn: Executor, team_id: int) -> TeamView | None:
    row = (await conn.execute(_GET_TEAM, {"team_id": team_id})).first()
    return (await _team_views(conn, [row]))[0] if row is not None else None


async def load_hero(conn: Executor, hero_id: int) -> HeroView | None:
    row = (await conn.execute(_GET_HERO, {"hero_id": hero_id})).first()
    return (await _hero_views(conn, [row]))[0] if row is not None else None


# --- write side -----------------------------------------------------------------------------------


class SqlTeamRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, team: Team) -> Team:
        result = await self._session.execute(
            insert(_teams).values(name=team.name, headquarters=team.headquarters)
        )
        team.id = int(result.inserted_primary_key[0])  # type: ignore[attr-defined]
        return team

    async def get(self, team_id: int, *, for_update: bool = False) -> Team | None:
        stmt = select(*_TEAM_COLUMNS).where(_teams.c.id == team_id)
        if for_update:
            stmt = stmt.with_for_update()  # ignored by SQLite, whose writers are serialised anyway
        row = (await self._session.execute(stmt)).first()
        return Team(row.name, row.headquarters, id=row.id) if row is not None else None

    async def view(self, team_id: int) -> TeamView | None:
        return await load_team(self._session, team_id)

    async def update(self, team: Team) -> None:
        stmt = update(_teams).where(_teams.c.id == team.id)
        await self._session.execute(stmt.values(name=team.name, headquarters=team.headquarters))

    async def delete(self, team_id: int) -> None:
        await self._session.execute(delete(_teams).where(_teams.c.id == team_id))


class SqlHeroRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @staticmethod
    def _values(hero: Hero) -> dict[str, Any]:
        return {"name": hero.name, "secret_name": hero.secret_name, "age": hero.age}

    async def add(self, hero: Hero) -> Hero:
        result = await self._session.execute(insert(_heroes).values(**self._values(hero)))
        hero.id = int(result.inserted_primary_key[0])  # type: ignore[attr-defined]
        return hero

    async def get(self, hero_id: int, *, for_update: bool = False) -> Hero | None:
        stmt = select(*_HERO_COLUMNS).where(_heroes.c.id == hero_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = (await self._session.execute(stmt)).first()
        return Hero(row.name, row.secret_name, row.age, id=row.id) if row is not None else None

    async def view(self, hero_id: int) -> HeroView | None:
        return await load_hero(self._session, hero_id)

    async def update(self, hero: Hero) -> None:
        stmt = update(_heroes).where(_heroes.c.id == hero.id).values(**self._values(hero))
        await self._session.execute(stmt)

    async def delete(self, hero_id: int) -> None:
        await self._session.execute(delete(_heroes).where(_heroes.c.id == hero_id))


def _link(team_id: int, hero_id: int) -> ColumnElement[bool]:
    return (_members.c.team_id == team_id) & (_members.c.hero_id == hero_id)


class SqlMembershipRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, team_id: int, hero_id: int) -> Membership | None:
        stmt = select(_members.c.is_training).where(_link(team_id, hero_id))
        row = (await self._session.execute(stmt)).first()
        return Membership(team_id, hero_id, bool(row.is_training)) if row is not None else None

    async def add(self, membership: Membership) -> None:
        values = {
            "team_id": membership.team_id,
            "hero_id": membership.hero_id,
            "is_training": membership.is_training,
        }
        await self._session.execute(insert(_members).values(**values))

    async def update(self, membership: Membership) -> None:
        stmt = update(_members).where(_link(membership.team_id, membership.hero_id))
        await self._session.execute(stmt.values(is_training=membership.is_training))

    async def delete(self, team_id: int, hero_id: int) -> bool:
        result = await self._session.execute(delete(_members).where(_link(team_id, hero_id)))
        return int(result.rowcount) > 0  # type: ignore[attr-defined]


# --- read side ------------------------------------------------------------------------------------


def _hero_where(flt: HeroFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if flt.q:
        where.append(contains(_heroes.c.name, flt.q))
    if flt.team_id is not None:
        where.append(exists().where(_members.c.hero_id == _heroes.c.id, _members.c.team_id == flt.team_id))
    if flt.min_age is not None:
        where.append(_heroes.c.age >= flt.min_age)
    if flt.max_age is not None:
        where.append(_heroes.c.age <= flt.max_age)
    return where


class SqlTeamQueries:
    def __init__(self, reads: ReadPath) -> None:
        self._reads = reads

    async def team(self, team_id: int) -> TeamView | None:
        async with reading(self._reads) as conn:
            return await load_team(conn, team_id)

    async def teams(self, flt: TeamFilter, page: PageRequest) -> Slice[TeamView]:
        where = [contains(_teams.c.name, flt.q)] if flt.q else []
        async with reading(self._reads) as conn:
            rows, total, next_key = await fetch_page(
                conn, _TEAM_COLUMNS, _teams, where, _TEAM_SORTS, _teams.c.id, page
            )
            views = await _team_views(conn, rows)
        return Slice(views, total, next_key)

    async def hero(self, hero_id: int) -> HeroView | None:
        async with reading(self._reads) as conn:
            return await load_hero(conn, hero_id)

    async def heroes(self, flt: HeroFilter, page: PageRequest) -> Slice[HeroView]:
        async with reading(self._reads) as conn:
            rows, total, next_key = await fetch_page(
                conn, _HERO_COLUMNS, _heroes, _hero_where(flt), _HERO_SORTS, _heroes.c.id, page
            )
            views = await _hero_views(conn, rows)
        return Slice(views, total, next_key)

    async def stats(self) -> list[TeamStatsView]:
        async with reading(self._reads) as conn:
            rows = (await conn.execute(STATS)).all()
        return [
            TeamStatsView(
                int(r.team_id), r.team_name, int(r.hero_count), average_age(int(r.age_sum), int(r.aged))
            )
            for r in rows
        ]
