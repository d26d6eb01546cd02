"""Teams rules and use cases against the fakes: names, ages, memberships, who may delete, who
sees secret names (in every view), If-Match, filters, paging and the statistics."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest

from application import teams
from application.common import Actor
from application.errors import TransientConflict
from application.pagination import PageParams, Sort, scope_of
from application.preconditions import needs_etag
from application.teams.views import (
    HeroTeamView,
    HeroView,
    MemberView,
    TeamStatsView,
    TeamView,
    average_age,
    representation_etag,
)
from domain.errors import AlreadyExists, BadRequest, Forbidden, InvalidInput, NotFound, PreconditionFailed
from domain.teams import (
    AGE_MAX,
    HEADQUARTERS_MAX,
    Hero,
    Team,
    check_age,
    check_headquarters,
    check_hero_name,
    check_secret_name,
    check_team_name,
)
from infrastructure.persistence.errors import translate
from tests.fakes import Statement
from tests.fakes.container import Fakes

ANN = Actor(1)
ROOT = Actor(2, is_superuser=True)
NAMES = PageParams(sort="name")


class League(Fakes):
    async def team(self, name: str, headquarters: str | None = None) -> TeamView:
        return await self.teams.create_team()(ANN, teams.CreateTeamCommand(name, headquarters))

    async def hero(self, name: str, age: int | None = None) -> HeroView:
        return await self.teams.create_hero()(ANN, teams.CreateHeroCommand(name, f"secret {name}", age))

    async def join(self, team_id: int, hero_id: int, training: bool = False) -> TeamView:
        return await self.teams.set_membership()(ANN, team_id, hero_id, training)

    async def heroes(self, actor: Actor | None = None, params: PageParams = NAMES, **query: object):
        return await self.teams.list_heroes()(actor, teams.ListHeroesQuery(**query), params)  # type: ignore[arg-type]


@pytest.fixture
def league() -> League:
    return League()


# --- domain ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check", "field", "maximum"),
    [(check_team_name, "name", 100), (check_hero_name, "name", 100), (check_secret_name, "secret_name", 100)],
)
def test_names_are_1_to_100_characters_not_only_blanks(check, field: str, maximum: int) -> None:
    assert check("x") == "x" and check("x" * maximum) == "x" * maximum and check(" a ") == " a "
    for bad in ("", "   ", "\t\n", "x" * (maximum + 1), None, 5):
        with pytest.raises(InvalidInput) as refused:
            check(bad)
        assert refused.value.field == field
        assert refused.value.detail == f"{field} must be 1-{maximum} characters, not only blanks"
    with pytest.raises(InvalidInput) as nul:
        check("a\x00b")
    assert nul.value.detail == f"{field} must not contain NUL characters"


def test_headquarters_are_optional_and_at_most_200_characters() -> None:
    assert check_headquarters(None) is None and check_headquarters("") == ""
    assert check_headquarters("x" * HEADQUARTERS_MAX) == "x" * HEADQUARTERS_MAX
    for bad in ("x" * (HEADQUARTERS_MAX + 1), 7):
        with pytest.raises(InvalidInput) as refused:
            check_headquarters(bad)
        assert (refused.value.field, refused.value.detail) == (
            "headquarters",
            "headquarters must be at most 200 characters",
        )
    with pytest.raises(InvalidInput) as nul:
        check_headquarters("\x00")
    assert nul.value.field == "headquarters"


def test_ages_are_whole_numbers_from_0_to_10000_or_unknown() -> None:
    assert [check_age(a) for a in (None, 0, 1, AGE_MAX)] == [None, 0, 1, 10_000]
    for bad in (-1, 10_001, True, False, "5", 5.0):
        with pytest.raises(InvalidInput) as refused:
            check_age(bad)
        assert (refused.value.field, refused.value.detail) == (
            "age",
            "age must be a whole number from 0 to 10000",
        )
    with pytest.raises(InvalidInput) as named:
        check_age(-1, "min_age")
    assert (named.value.field, named.value.detail) == (
        "min_age",
        "min_age must be a whole number from 0 to 10000",
    )


def test_teams_and_heroes_revise_only_what_is_given() -> None:
    team = Team.new("Avengers", "NYC")
    assert (team.name, team.headquarters, team.id) == ("Avengers", "NYC", None)
    assert Team.new("Solo").headquarters is None
    assert team.revise() is False and team.revise(name="Avengers", headquarters="NYC") is False
    assert team.revise(headquarters=None) is True and team.headquarters is None
    assert team.revise(name="X") is True and (team.name, team.headquarters) == ("X", None)
    with pytest.raises(InvalidInput):
        team.revise(name=" ")
    hero = Hero.new("Rusty", "Tommy", 48)
    assert (hero.name, hero.secret_name, hero.age, hero.id) == ("Rusty", "Tommy", 48, None)
    assert Hero.new("Dive", "Diver").age is None
    assert hero.revise() is False and hero.revise(name="Rusty", secret_name="Tommy", age=48) is False
    assert hero.revise(age=None) is True and hero.age is None
    assert hero.revise(secret_name="Tom") is True and hero.secret_name == "Tom" and hero.name == "Rusty"
    assert hero.revise(name="Rust") is True and hero.name == "Rust"
    with pytest.raises(InvalidInput):
        hero.revise(age=AGE_MAX + 1)
    with pytest.raises(InvalidInput):
        Hero.new("X", "")


# --- views -----------------------------------------------------------------------------------------

TEAM = TeamView(1, "A", "HQ", (MemberView(3, "Rusty", "Tommy", True), MemberView(4, "Dive", "D", False)))
HERO = HeroView(3, "Rusty", "Tommy", 48, (HeroTeamView(1, "A", True),))


def test_secret_names_are_for_superusers_only_in_every_view() -> None:
    assert TEAM.seen_by(ROOT) == TEAM and HERO.seen_by(ROOT) == HERO
    for actor in (ANN, None):
        team, hero = TEAM.seen_by(actor), HERO.seen_by(actor)
        assert [m.secret_name for m in team.members] == [None, None]
        assert [(m.hero_id, m.name, m.is_training) for m in team.members] == [
            (3, "Rusty", True),
            (4, "Dive", False),
        ]
        assert (team.id, team.name, team.headquarters) == (1, "A", "HQ")
        assert hero == HeroView(3, "Rusty", None, 48, HERO.teams)


def test_etags_are_strong_digests_of_what_the_caller_sees() -> None:
    tag = TEAM.etag
    assert tag.startswith('"') and tag.endswith('"') and len(tag) == 22 and not tag.startswith("W/")
    assert tag == representation_etag(
        "team", [1, "A", "HQ", [[3, "Rusty", "Tommy", True], [4, "Dive", "D", False]]]
    )
    assert representation_etag("team", [1]) != representation_etag("hero", [1])
    digest = hashlib.sha256('["hero",[7,"Zoë",null]]'.encode()).hexdigest()[:20]
    assert representation_etag("hero", [7, "Zoë", None]) == f'"{digest}"'
    assert TEAM.seen_by(ANN).etag != tag  # the hidden secret leaves no trace to compare
    changed = [
        TeamView(2, "A", "HQ", TEAM.members),
        TeamView(1, "B", "HQ", TEAM.members),
        TeamView(1, "A", None, TEAM.members),
        TeamView(1, "A", "HQ", TEAM.members[:1]),
        TeamView(1, "A", "HQ", (MemberView(3, "Rusty", "Tommy", False), TEAM.members[1])),
    ]
    assert len({tag, *(v.etag for v in changed)}) == 6
    hero_changes = [
        HeroView(3, "Rusty", "Tommy", 49, HERO.teams),
        HeroView(3, "Rusty", "Tom", 48, HERO.teams),
        HeroView(3, "Rust", "Tommy", 48, HERO.teams),
        HeroView(3, "Rusty", "Tommy", 48, ()),
        HeroView(5, "Rusty", "Tommy", 48, HERO.teams),
        HeroView(3, "Rusty", "Tommy", 48, (HeroTeamView(1, "A", False),)),
    ]
    assert len({HERO.etag, *(v.etag for v in hero_changes)}) == 7
    assert HERO.etag == representation_etag("hero", [3, "Rusty", "Tommy", 48, [[1, "A", True]]])


def test_average_ages_are_exact_to_two_places_half_up() -> None:
    assert average_age(0, 0) is None and average_age(10, 0) is None
    assert average_age(32, 3) == Decimal("10.67")
    assert average_age(1, 8) == Decimal("0.13")  # 0.125: half up, not to even
    assert average_age(3, 2) == Decimal("1.50") and str(average_age(30, 1)) == "30.00"
    assert average_age(0, 4) == Decimal("0.00")


def test_if_match_needs_a_check_only_when_it_names_a_tag() -> None:
    assert not needs_etag(None) and not needs_etag("*") and not needs_etag(" * ")
    assert needs_etag('"abc"') and needs_etag('W/"abc"')


def test_unique_violations_name_the_constraint_the_driver_names_not_the_value() -> None:
    from sqlalchemy import exc as sa_exc

    def integrity(message: str) -> BaseException | None:
        return translate(sa_exc.IntegrityError("INSERT INTO heroes ...", {}, Exception(message)))

    hero = integrity(
        'duplicate key value violates unique constraint "uq_heroes_name_lower"\n'
        "DETAIL:  Key (name_lower)=(users.email) already exists."
    )
    assert isinstance(hero, AlreadyExists) and hero.detail == "Hero with this name already exists"
    team = integrity("UNIQUE constraint failed: teams.name_lower")
    assert isinstance(team, AlreadyExists) and (team.entity, team.field) == ("Team", "name")
    link = integrity("UNIQUE constraint failed: team_members.team_id, team_members.hero_id")
    assert not isinstance(link, AlreadyExists) and link.detail == "The change conflicts with existing data"  # type: ignore[union-attr]


# --- teams -----------------------------------------------------------------------------------------


async def test_create_and_read_teams(league: League) -> None:
    team = await league.team("Avengers", "NYC")
    assert (team.name, team.headquarters, team.members) == ("Avengers", "NYC", ())
    assert league.db.state.teams[team.id] == Team("Avengers", "NYC", id=team.id)
    assert await league.teams.get_team()(None, team.id) == team
    with pytest.raises(AlreadyExists) as taken:
        await league.team("avengers")
    assert taken.value.detail == "Team with this name already exists"
    with pytest.raises(NotFound) as missing:
        await league.teams.get_team()(ANN, 999)
    assert missing.value.detail == "Team 999 not found"
    with pytest.raises(InvalidInput):
        await league.team("")
    assert league.db.commits == 1


async def test_a_lost_race_reruns_the_whole_create(league: League) -> None:
    league.db.fail("teams.add")
    team = await league.team("Retry")
    assert league.db.statements.count(Statement("teams.add")) == 2 and team.name == "Retry"
    league.db.fail("heroes.add", times=3)
    with pytest.raises(TransientConflict):
        await league.hero("Never")
    assert league.db.state.heroes == {}


async def test_patch_team_with_if_match(league: League) -> None:
    team = await league.team("Alpha", "Old HQ")
    await league.team("Beta")
    patch = league.teams.patch_team()
    renamed = await patch(ANN, team.id, teams.PatchTeamCommand(name="Gamma"), if_match=team.etag)
    assert (renamed.name, renamed.headquarters) == ("Gamma", "Old HQ")
    assert Statement("teams.get", for_update=True) in league.db.statements
    with pytest.raises(PreconditionFailed) as stale:
        await patch(ANN, team.id, teams.PatchTeamCommand(headquarters=None), if_match=team.etag)
    assert stale.value.detail == "The team has changed since it was read (If-Match does not match)"
    cleared = await patch(ANN, team.id, teams.PatchTeamCommand(headquarters=None), if_match="*")
    assert cleared.headquarters is None and cleared.name == "Gamma"
    league.db.statements.clear()
    assert await patch(ANN, team.id, teams.PatchTeamCommand(name="Gamma")) == cleared
    assert Statement("teams.update") not in league.db.statements  # nothing changed, nothing written
    assert Statement("teams.view") not in league.db.statements  # no tag to check
    with pytest.raises(AlreadyExists):
        await patch(ANN, team.id, teams.PatchTeamCommand(name="BETA"))
    with pytest.raises(NotFound) as missing:
        await patch(ANN, 999, teams.PatchTeamCommand(name="X"))
    assert missing.value.detail == "Team 999 not found"


async def test_if_match_compares_with_the_representation_the_caller_sees(league: League) -> None:
    team = await league.team("Alpha")
    hero = await league.hero("Rusty")
    await league.join(team.id, hero.id)
    as_root = await league.teams.get_team()(ROOT, team.id)
    as_ann = await league.teams.get_team()(ANN, team.id)
    assert as_root.members[0].secret_name == "secret Rusty" and as_ann.members[0].secret_name is None
    with pytest.raises(PreconditionFailed):
        await league.teams.patch_team()(ANN, team.id, teams.PatchTeamCommand(name="B"), if_match=as_root.etag)
    patched = await league.teams.patch_team()(
        ANN, team.id, teams.PatchTeamCommand(name="B"), if_match=as_ann.etag
    )
    assert patched.name == "B" and patched.members[0].secret_name is None
    as_root = await league.teams.get_team()(ROOT, team.id)
    with pytest.raises(PreconditionFailed):
        await league.teams.patch_team()(
            ROOT, team.id, teams.PatchTeamCommand(name="C"), if_match=patched.etag
        )
    by_root = await league.teams.patch_team()(
        ROOT, team.id, teams.PatchTeamCommand(name="C"), if_match=as_root.etag
    )
    assert by_root.name == "C" and by_root.members[0].secret_name == "secret Rusty"
    with pytest.raises(PreconditionFailed):
        await league.teams.delete_team()(
            ROOT, team.id, if_match=(await league.teams.get_team()(ANN, team.id)).etag
        )
    await league.teams.delete_team()(
        ROOT, team.id, if_match=(await league.teams.get_team()(ROOT, team.id)).etag
    )
    assert league.db.state.teams == {}


async def test_only_superusers_delete_teams_and_the_heroes_stay(league: League) -> None:
    team = await league.team("Alpha")
    hero = await league.hero("Rusty")
    await league.join(team.id, hero.id)
    with pytest.raises(Forbidden) as refused:
        await league.teams.delete_team()(ANN, team.id)
    assert refused.value.detail == "Superuser privileges required"
    assert team.id in league.db.state.teams
    with pytest.raises(PreconditionFailed):
        await league.teams.delete_team()(ROOT, team.id, if_match='"stale"')
    await league.teams.delete_team()(
        ROOT, team.id, if_match=(await league.teams.get_team()(ROOT, team.id)).etag
    )
    assert league.db.state.teams == {} and league.db.state.memberships == {}
    assert (await league.teams.get_hero()(ROOT, hero.id)).teams == ()
    with pytest.raises(NotFound):
        await league.teams.delete_team()(ROOT, team.id)


async def test_list_teams_with_members_search_paging_and_redaction(league: League) -> None:
    a = await league.team("Alpha")
    await league.team("Beta_1")
    await league.team("Beta%2")
    hero = await league.hero("Rusty")
    await league.join(a.id, hero.id, training=True)
    listed = league.teams.list_teams()
    page = await listed(ROOT, None, PageParams(sort="name", limit=2))
    assert [t.name for t in page.items] == ["Alpha", "Beta%2"] and page.total == 3 and page.next_cursor
    assert page.items[0].members == (MemberView(hero.id, "Rusty", "secret Rusty", True),)
    rest = await listed(ROOT, None, PageParams(sort="name", limit=2, cursor=page.next_cursor))
    assert [t.name for t in rest.items] == ["Beta_1"] and rest.next_cursor is None
    for actor in (ANN, None):
        seen = await listed(actor, None, NAMES)
        assert seen.items[0].members == (MemberView(hero.id, "Rusty", None, True),)
    assert [t.name for t in (await listed(None, "_", NAMES)).items] == ["Beta_1"]
    assert [t.name for t in (await listed(None, "BETA", NAMES)).items] == ["Beta%2", "Beta_1"]
    by_id = await listed(None, None, PageParams(sort="-id"))
    assert [t.name for t in by_id.items] == ["Beta%2", "Beta_1", "Alpha"]
    with pytest.raises(BadRequest):  # a cursor belongs to its filter
        await listed(None, "Beta", PageParams(sort="name", limit=2, cursor=page.next_cursor))
    tags_cursor = league.container.core.cursors().encode(Sort("name"), ("tags", 1), scope_of("tags"))
    with pytest.raises(BadRequest):  # another list's cursor, even with the same sort and look-alike filter
        await listed(None, "tags", PageParams(sort="name", cursor=tags_cursor))
    with pytest.raises(InvalidInput) as bad_sort:
        await listed(None, None, PageParams(sort="headquarters"))
    assert bad_sort.value.field == "sort"
    with pytest.raises(InvalidInput) as nul:
        await listed(None, "a\x00", NAMES)
    assert nul.value.field == "q"


# --- memberships -----------------------------------------------------------------------------------


async def test_put_member_adds_or_updates_the_link(league: League) -> None:
    team = await league.team("Alpha")
    rusty, dive = await league.hero("Rusty", 48), await league.hero("Dive")
    added = await league.join(team.id, rusty.id, training=True)
    assert added.members == (MemberView(rusty.id, "Rusty", None, True),)
    assert Statement("teams.get", for_update=True) in league.db.statements  # the team is locked first
    updated = await league.join(team.id, rusty.id, training=False)
    assert updated.members == (MemberView(rusty.id, "Rusty", None, False),)
    league.db.statements.clear()
    assert await league.join(team.id, rusty.id, training=False) == updated
    assert Statement("memberships.update") not in league.db.statements
    assert Statement("memberships.add") not in league.db.statements
    again = await league.join(team.id, rusty.id, training=True)
    assert again.members == (MemberView(rusty.id, "Rusty", None, True),)
    league.db.statements.clear()
    assert await league.join(team.id, rusty.id, training=True) == again
    assert Statement("memberships.update") not in league.db.statements
    both = await league.teams.set_membership()(ROOT, team.id, dive.id, False)
    assert [(m.hero_id, m.secret_name) for m in both.members] == [
        (rusty.id, "secret Rusty"),
        (dive.id, "secret Dive"),
    ]
    with pytest.raises(NotFound) as no_team:
        await league.join(999, rusty.id)
    assert no_team.value.detail == "Team 999 not found"
    with pytest.raises(NotFound) as no_hero:
        await league.join(team.id, 999)
    assert no_hero.value.detail == "Hero 999 not found"
    hero = await league.teams.get_hero()(ANN, rusty.id)
    assert hero.teams == (HeroTeamView(team.id, "Alpha", True),) and hero.secret_name is None


async def test_delete_member(league: League) -> None:
    team = await league.team("Alpha")
    hero = await league.hero("Rusty")
    await league.join(team.id, hero.id)
    remove = league.teams.remove_membership()
    await remove(ANN, team.id, hero.id)
    assert league.db.state.memberships == {} and hero.id in league.db.state.heroes
    with pytest.raises(NotFound) as gone:
        await remove(ANN, team.id, hero.id)
    assert gone.value.detail == f"Hero {hero.id} is not a member of team {team.id}"
    with pytest.raises(NotFound) as no_team:
        await remove(ANN, 999, hero.id)
    assert no_team.value.detail == "Team 999 not found"


# --- heroes ----------------------------------------------------------------------------------------


async def test_create_read_and_patch_heroes(league: League) -> None:
    created = await league.teams.create_hero()(ROOT, teams.CreateHeroCommand("Deadpond", "Dive Wilson"))
    assert (created.name, created.secret_name, created.age, created.teams) == (
        "Deadpond",
        "Dive Wilson",
        None,
        (),
    )
    hidden = await league.teams.create_hero()(ANN, teams.CreateHeroCommand("Rusty", "Tommy", 48))
    assert (hidden.secret_name, hidden.age) == (None, 48)
    assert league.db.state.heroes[hidden.id].secret_name == "Tommy"
    with pytest.raises(AlreadyExists) as taken:
        await league.hero("DEADPOND")
    assert taken.value.detail == "Hero with this name already exists"
    with pytest.raises(InvalidInput) as old:
        await league.hero("Ancient", AGE_MAX + 1)
    assert old.value.field == "age"
    assert (await league.teams.get_hero()(None, created.id)).secret_name is None
    assert (await league.teams.get_hero()(ROOT, created.id)).secret_name == "Dive Wilson"
    patch = league.teams.patch_hero()
    patched = await patch(
        ANN, hidden.id, teams.PatchHeroCommand(secret_name="Tom", age=None), if_match=hidden.etag
    )
    assert (patched.secret_name, patched.age, patched.name) == (None, None, "Rusty")
    assert league.db.state.heroes[hidden.id].secret_name == "Tom"
    with pytest.raises(PreconditionFailed) as stale:
        await patch(ANN, hidden.id, teams.PatchHeroCommand(age=1), if_match=hidden.etag)
    assert stale.value.detail == "The hero has changed since it was read (If-Match does not match)"
    league.db.statements.clear()
    assert await patch(
        ROOT, hidden.id, teams.PatchHeroCommand(name="Rusty")
    ) == await league.teams.get_hero()(ROOT, hidden.id)
    assert Statement("heroes.update") not in league.db.statements
    with pytest.raises(AlreadyExists):
        await patch(ANN, hidden.id, teams.PatchHeroCommand(name="deadpond"))
    with pytest.raises(NotFound) as missing:
        await patch(ANN, 999, teams.PatchHeroCommand(age=1))
    assert missing.value.detail == "Hero 999 not found"
    with pytest.raises(NotFound) as unknown:
        await league.teams.get_hero()(ROOT, 999)
    assert unknown.value.detail == "Hero 999 not found"
    league.db.statements.clear()
    aged = await patch(ANN, hidden.id, teams.PatchHeroCommand(age=7))
    assert aged.age == 7 and league.db.state.heroes[hidden.id].age == 7
    assert Statement("heroes.get", for_update=True) in league.db.statements
    as_root = await league.teams.get_hero()(ROOT, hidden.id)
    with pytest.raises(PreconditionFailed):
        await patch(ROOT, hidden.id, teams.PatchHeroCommand(age=8), if_match=aged.etag)
    by_root = await patch(ROOT, hidden.id, teams.PatchHeroCommand(age=8), if_match=as_root.etag)
    assert (by_root.age, by_root.secret_name) == (8, "Tom")
    with pytest.raises(PreconditionFailed):
        await league.teams.delete_hero()(
            ROOT, hidden.id, if_match=(await league.teams.get_hero()(ANN, hidden.id)).etag
        )
    await league.teams.delete_hero()(
        ROOT, hidden.id, if_match=(await league.teams.get_hero()(ROOT, hidden.id)).etag
    )
    assert hidden.id not in league.db.state.heroes


async def test_only_superusers_delete_heroes_and_their_memberships_go(league: League) -> None:
    team = await league.team("Alpha")
    hero = await league.hero("Rusty")
    await league.join(team.id, hero.id)
    with pytest.raises(Forbidden):
        await league.teams.delete_hero()(ANN, hero.id)
    with pytest.raises(PreconditionFailed):
        await league.teams.delete_hero()(ROOT, hero.id, if_match='"stale"')
    await league.teams.delete_hero()(ROOT, hero.id, if_match="*")
    assert league.db.state.heroes == {} and league.db.state.memberships == {}
    assert (await league.teams.get_team()(ROOT, team.id)).members == ()
    with pytest.raises(NotFound) as missing:
        await league.teams.delete_hero()(ROOT, hero.id)
    assert missing.value.detail == f"Hero {hero.id} not found"


async def test_list_heroes_filters_paging_and_redaction(league: League) -> None:
    team = await league.team("Alpha")
    young, old = await league.hero("Young", 18), await league.hero("Old", 90)
    await league.hero("Nobody")
    await league.join(team.id, old.id)
    names = lambda page: [h.name for h in page.items]  # noqa: E731
    assert names(await league.heroes()) == ["Nobody", "Old", "Young"]
    assert names(await league.heroes(min_age=18, max_age=18)) == ["Young"]
    assert names(await league.heroes(min_age=19)) == ["Old"]
    assert names(await league.heroes(max_age=89)) == ["Young"]
    assert names(await league.heroes(team_id=team.id)) == ["Old"]
    assert names(await league.heroes(q="O")) == ["Nobody", "Old", "Young"]
    assert names(await league.heroes(q="ou")) == ["Young"]
    with pytest.raises(InvalidInput) as crossed:
        await league.heroes(min_age=19, max_age=18)
    assert (crossed.value.field, crossed.value.detail) == (
        "min_age",
        "min_age must not be greater than max_age",
    )
    for field in ("min_age", "max_age"):
        with pytest.raises(InvalidInput) as bad:
            await league.heroes(**{field: -1})
        assert bad.value.field == field
    everyone = await league.heroes(ROOT, PageParams(sort="id", limit=2))
    assert [h.id for h in everyone.items] == [young.id, old.id] and everyone.total == 3
    assert [h.secret_name for h in everyone.items] == ["secret Young", "secret Old"]
    assert [h.secret_name for h in (await league.heroes(ANN)).items] == [None, None, None]
    assert (await league.heroes(None, team_id=team.id)).items[0].teams == (
        HeroTeamView(team.id, "Alpha", False),
    )
    rest = await league.heroes(ROOT, PageParams(sort="id", limit=2, cursor=everyone.next_cursor))
    assert names(rest) == ["Nobody"] and rest.next_cursor is None
    for other in ({"min_age": 1}, {"max_age": 100}, {"q": "o"}, {"team_id": team.id}):
        with pytest.raises(BadRequest):
            await league.heroes(ROOT, PageParams(sort="id", limit=2, cursor=everyone.next_cursor), **other)


async def test_team_stats(league: League) -> None:
    assert await league.teams.team_stats()() == []
    a, b = await league.team("A"), await league.team("B")
    x, y, z = await league.hero("X", 10), await league.hero("Y", 11), await league.hero("Z")
    for hero in (x, y, z):
        await league.join(b.id, hero.id)
    assert await league.teams.team_stats()() == [
        TeamStatsView(b.id, "B", 3, Decimal("10.50")),
        TeamStatsView(a.id, "A", 0, None),
    ]
