"""Teams repository and query contract: fakes, SQLite, PostgreSQL and MariaDB alike. And the
statistics statement answering the same rows on every engine for the same data."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from application.pagination import PageRequest, Sort
from application.teams.views import HeroFilter, HeroTeamView, MemberView, TeamFilter, TeamStatsView
from domain.errors import AlreadyExists, Conflict
from domain.teams import Hero, Membership, Team
from tests.integration.conftest import Backend, _sql_backend


async def add_teams(backend: Backend, *names: str) -> list[int]:
    async with backend.uow() as uow:
        stored = [await uow.teams.add(Team(name, f"HQ of {name}")) for name in names]
        await uow.commit()
    return [t.id for t in stored if t.id is not None]


async def add_heroes(backend: Backend, *heroes: tuple[str, int | None]) -> list[int]:
    async with backend.uow() as uow:
        stored = [await uow.heroes.add(Hero(name, f"secret {name}", age)) for name, age in heroes]
        await uow.commit()
    return [h.id for h in stored if h.id is not None]


async def join(backend: Backend, team_id: int, *hero_ids: int, training: bool = False) -> None:
    async with backend.uow() as uow:
        for hero_id in hero_ids:
            await uow.memberships.add(Membership(team_id, hero_id, training))
        await uow.commit()


def page(field: str = "name", limit: int = 20, descending: bool = False) -> PageRequest:
    return PageRequest(Sort(field, descending), limit=limit)


async def test_names_are_unique_ignoring_case_and_say_so(backend: Backend) -> None:
    await add_teams(backend, "Avengers")
    with pytest.raises(AlreadyExists) as taken:
        await add_teams(backend, "AVENGERS")
    assert (taken.value.entity, taken.value.field) == ("Team", "name")
    # Names that spell other contexts' constraint keys: the error still names the hero's name
    # (the classifier reads the constraint the driver names, not the value it quotes).
    for tricky in ("Deadpond", "users.email", "uq_users_email", "tags.name"):
        await add_heroes(backend, (tricky, None))
        with pytest.raises(AlreadyExists) as taken:
            await add_heroes(backend, (tricky.upper(), 30))
        assert taken.value.detail == "Hero with this name already exists"
    assert (await backend.teams.heroes(HeroFilter(), page())).total == 4


async def test_updates_keep_names_unique_and_ages_in_range(backend: Backend) -> None:
    a, b = await add_teams(backend, "Alpha", "Beta")
    (hero,) = await add_heroes(backend, ("Rusty", 40))
    with pytest.raises(AlreadyExists):  # translated as the unit of work ends
        async with backend.uow() as uow:
            team = await uow.teams.get(b, for_update=True)
            assert team is not None and (team.name, team.headquarters) == ("Beta", "HQ of Beta")
            team.name = "alpha"
            await uow.teams.update(team)
    async with backend.uow() as uow:
        team = await uow.teams.get(b)
        assert team is not None
        team.name, team.headquarters = "Gamma", None
        await uow.teams.update(team)
        stored = await uow.heroes.get(hero, for_update=True)
        assert stored is not None and (stored.name, stored.secret_name, stored.age) == (
            "Rusty",
            "secret Rusty",
            40,
        )
        stored.age = None
        await uow.heroes.update(stored)
        await uow.commit()
    view = await backend.teams.team(b)
    assert view is not None and (view.name, view.headquarters) == ("Gamma", None)
    assert (await backend.teams.hero(hero)).age is None  # type: ignore[union-attr]
    with pytest.raises(Conflict):  # past the domain: the CHECK constraint holds
        await add_heroes(backend, ("Ancient", 10_001))
    with pytest.raises(Conflict):
        await add_heroes(backend, ("Unborn", -1))
    assert await add_heroes(backend, ("Oldest", 10_000), ("Newborn", 0))
    async with backend.uow() as uow:
        assert await uow.teams.get(999_999) is None and await uow.heroes.get(999_999) is None
    assert await backend.teams.team(999_999) is None and await backend.teams.hero(999_999) is None
    assert a != b


async def test_memberships_add_update_remove_and_their_keys(backend: Backend) -> None:
    (team,) = await add_teams(backend, "Preventers")
    rusty, dive = await add_heroes(backend, ("Rusty", 48), ("Dive", None))
    await join(backend, team, dive, rusty)
    async with backend.uow() as uow:
        assert await uow.memberships.get(team, rusty) == Membership(team, rusty, False)
        assert await uow.memberships.get(team, 999_999) is None
        await uow.memberships.update(Membership(team, rusty, True))
        await uow.commit()
    view = await backend.teams.team(team)
    assert view is not None
    assert [(m.hero_id, m.name, m.secret_name, m.is_training) for m in view.members] == sorted(
        [(rusty, "Rusty", "secret Rusty", True), (dive, "Dive", "secret Dive", False)]
    )
    hero = await backend.teams.hero(rusty)
    assert hero is not None and hero.teams == (HeroTeamView(team, "Preventers", True),)
    with pytest.raises(Conflict):  # the primary key: one link per team and hero
        await join(backend, team, rusty)
    with pytest.raises(Conflict):  # the foreign keys
        await join(backend, team, 999_999)
    with pytest.raises(Conflict):
        await join(backend, 999_999, rusty)
    async with backend.uow() as uow:
        assert await uow.memberships.delete(team, dive) is True
        assert await uow.memberships.delete(team, dive) is False
        in_tx = await uow.teams.view(team)
        await uow.commit()
    assert in_tx == await backend.teams.team(team)
    assert [m.hero_id for m in in_tx.members] == [rusty]  # type: ignore[union-attr]


async def test_deleting_a_team_or_a_hero_takes_its_memberships_only(backend: Backend) -> None:
    first, second = await add_teams(backend, "First", "Second")
    a, b = await add_heroes(backend, ("A", 1), ("B", 2))
    await join(backend, first, a, b)
    await join(backend, second, a, training=True)
    async with backend.uow() as uow:
        await uow.teams.delete(first)
        await uow.commit()
    assert await backend.teams.team(first) is None
    assert [t.team_id for t in (await backend.teams.hero(a)).teams] == [second]  # type: ignore[union-attr]
    assert (await backend.teams.hero(b)).teams == ()  # type: ignore[union-attr]
    async with backend.uow() as uow:
        await uow.heroes.delete(a)
        assert await uow.heroes.view(a) is None
        await uow.commit()
    assert (await backend.teams.team(second)).members == ()  # type: ignore[union-attr]
    assert (await backend.teams.hero(b)) is not None
    async with backend.uow() as uow:
        assert await uow.memberships.get(second, a) is None


async def test_team_pages_with_members_search_and_cursors(backend: Backend) -> None:
    ids = await add_teams(backend, "Team 50%", "Team_x", "Teamyx", "Other", "team 5")
    (hero,) = await add_heroes(backend, ("Solo", 20))
    await join(backend, ids[1], hero)
    found = await backend.teams.teams(TeamFilter(q="_"), page())
    assert [t.name for t in found.items] == ["Team_x"] and found.total == 1
    assert found.items[0].members == (MemberView(hero, "Solo", "secret Solo", False),)
    assert [t.name for t in (await backend.teams.teams(TeamFilter(q="50%"), page())).items] == ["Team 50%"]
    assert (await backend.teams.teams(TeamFilter(q="TEAM"), page())).total == 4
    first = await backend.teams.teams(TeamFilter(), page(limit=2))
    assert [t.name for t in first.items] == ["Other", "Team 50%"] and first.total == 5
    assert first.next_key is not None
    rest = await backend.teams.teams(TeamFilter(), PageRequest(Sort("name"), limit=10, after=first.next_key))
    assert [t.name for t in rest.items] == ["Team_x", "Teamyx", "team 5"] and rest.next_key is None
    by_id = await backend.teams.teams(TeamFilter(), page("id", limit=3, descending=True))
    assert [t.id for t in by_id.items] == sorted(ids, reverse=True)[:3]


async def test_hero_pages_filter_by_name_team_and_age(backend: Backend) -> None:
    (team,) = await add_teams(backend, "Z-Force")
    young, old, unknown, edge = await add_heroes(
        backend, ("Young 1", 18), ("Old 2", 90), ("Unknown 3", None), ("Edge_4", 30)
    )
    await join(backend, team, old, unknown)

    async def names(**flt: object) -> list[str]:
        found = await backend.teams.heroes(HeroFilter(**flt), page())  # type: ignore[arg-type]
        assert found.total == len(found.items)
        return [h.name for h in found.items]

    assert await names() == ["Edge_4", "Old 2", "Unknown 3", "Young 1"]
    assert await names(q="_") == ["Edge_4"]
    assert await names(q="o") == ["Old 2", "Unknown 3", "Young 1"]
    assert await names(team_id=team) == ["Old 2", "Unknown 3"]
    assert await names(team_id=999_999) == []
    assert await names(min_age=30) == ["Edge_4", "Old 2"]  # unknown ages never match an age filter
    assert await names(max_age=30) == ["Edge_4", "Young 1"]
    assert await names(min_age=18, max_age=18) == ["Young 1"]
    assert await names(team_id=team, min_age=0) == ["Old 2"]
    hero = (await backend.teams.heroes(HeroFilter(team_id=team, max_age=100), page())).items[0]
    assert (hero.id, hero.secret_name, hero.teams) == (
        old,
        "secret Old 2",
        (HeroTeamView(team, "Z-Force", False),),
    )
    first = await backend.teams.heroes(HeroFilter(), page("id", limit=3))
    assert [h.id for h in first.items] == [young, old, unknown] and first.total == 4
    rest = await backend.teams.heroes(HeroFilter(), PageRequest(Sort("id"), limit=3, after=first.next_key))
    assert [h.id for h in rest.items] == [edge] and rest.next_key is None


EXPECTED_STATS = [
    ("Crowd", 3, Decimal("10.67")),  # 10, 11, 11 (and an unknown age): 32 / 3
    ("Pair", 2, Decimal("1.50")),
    ("Ghosts", 2, None),  # members, but no known age
    ("Empty", 0, None),  # no members: the LEFT JOIN keeps it
    ("Void", 0, None),  # ties: the older team first
]


async def arrange_stats(backend: Backend) -> None:
    crowd, pair, ghosts, _empty, _void = await add_teams(backend, "Crowd", "Pair", "Ghosts", "Empty", "Void")
    a, b, c, d, e, f, g = await add_heroes(
        backend, ("A", 10), ("B", 11), ("C", 11), ("D", None), ("E", 1), ("F", 2), ("G", None)
    )
    await join(backend, crowd, a, b, c)
    await join(backend, crowd, d, training=True)
    await join(backend, pair, e, f)
    await join(backend, ghosts, d, g)


async def test_team_stats_count_every_team_most_heroes_first(backend: Backend) -> None:
    assert await backend.teams.stats() == []
    await arrange_stats(backend)
    rows = await backend.teams.stats()
    crowd = [r for r in rows if r.team_name == "Crowd"]
    assert crowd == [TeamStatsView(crowd[0].team_id, "Crowd", 4, Decimal("10.67"))]
    assert [(r.team_name, r.hero_count, r.avg_age) for r in rows] == [
        ("Crowd", 4, Decimal("10.67")),
        *EXPECTED_STATS[1:],
    ]
    assert rows[-2].team_id < rows[-1].team_id


async def test_team_stats_are_the_same_rows_on_every_engine(
    sqlite_db: AsyncEngine, pg_db: AsyncEngine, mariadb_db: AsyncEngine
) -> None:
    """One statement, unchanged on each engine, and the same answer, value types included."""
    answers = []
    for name, engine in (("sqlite", sqlite_db), ("postgres", pg_db), ("mariadb", mariadb_db)):
        backend = _sql_backend(name, engine)
        await arrange_stats(backend)
        rows = await backend.teams.stats()
        answers.append(
            [(r.team_name, r.hero_count, r.avg_age, type(r.avg_age), type(r.hero_count)) for r in rows]
        )
    assert answers[0] == answers[1] == answers[2]
    assert [row[:3] for row in answers[0]] == [("Crowd", 4, Decimal("10.67")), *EXPECTED_STATS[1:]]
