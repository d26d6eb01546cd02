"""Teams routes: ``/teams``, ``/teams/{id}/members/{hero_id}``, ``/heroes`` and ``/stats/teams``.
Parse, call a use case, shape the response (and the ``ETag``); rules, authorisation and the
redaction of ``secret_name`` live in ``application.teams``.

Reads are public; a token, when sent, must be valid, and a superuser's token shows secret names
(the operations declare the token optional: ``security: [{OAuth2PasswordBearer: []}, {}]``).
"""

from __future__ import annotations

from typing import Annotated, Any

from dependency_injector.wiring import inject
from fastapi import APIRouter, Depends, Header, Query, Request, Response

from application import teams
from application.pagination import PageParams
from application.teams.views import HeroView, TeamView
from domain.teams import AGE_MAX, AGE_MIN, HERO_NAME_MAX, TEAM_NAME_MAX
from infrastructure.container import Container
from interfaces.http.auth import OPTIONAL_AUTH, CurrentActor, OptionalActor
from interfaces.http.di import Provide
from interfaces.http.paging import page_params
from interfaces.http.problems import problem_responses
from interfaces.http.schemas.common import ID_BOUND, IdPath, PageOut, QueryText, page_out, patch_command
from interfaces.http.schemas.teams import (
    HeroIn,
    HeroOut,
    HeroPatchIn,
    MembershipIn,
    TeamIn,
    TeamOut,
    TeamPatchIn,
    TeamStatsOut,
)

router = APIRouter()
C = Container.teams
AUTH = (401, 403)
BODY = (400, 413)  # malformed JSON, body over the size limit
TeamPage = Annotated[PageParams, Depends(page_params(teams.TEAM_SORTS, "name"))]
HeroPage = Annotated[PageParams, Depends(page_params(teams.HERO_SORTS, "name"))]
IfMatch = Annotated[
    str | None, Header(max_length=1000, description="ETag of the version being changed (412 if stale)")
]
AgeQuery = Annotated[int | None, Query(ge=AGE_MIN, le=AGE_MAX)]


def _team(view: TeamView, response: Response) -> TeamOut:
    response.headers["ETag"] = view.etag
    return TeamOut.model_validate(view)


def _hero(view: HeroView, response: Response) -> HeroOut:
    response.headers["ETag"] = view.etag
    return HeroOut.model_validate(view)


# --- teams ----------------------------------------------------------------------------------------


@router.post(
    "/teams",
    name="teams-create",
    status_code=201,
    response_model=TeamOut,
    tags=["teams"],
    responses=problem_responses(*BODY, *AUTH, 409, 422),
)
@inject
async def create_team(
    body: TeamIn,
    actor: CurrentActor,
    request: Request,
    response: Response,
    create: teams.CreateTeam = Depends(Provide[C.create_team]),
) -> TeamOut:
    """A taken name (case-insensitive) is a 409 `already-exists`."""
    view = await create(actor, teams.CreateTeamCommand(body.name, body.headquarters))
    response.headers["Location"] = request.app.url_path_for("teams-read", team_id=view.id)
    return _team(view, response)


@router.get(
    "/teams",
    name="teams-list",
    response_model=PageOut[TeamOut],
    tags=["teams"],
    responses=problem_responses(*AUTH, 400, 422),
    openapi_extra=OPTIONAL_AUTH,
)
@inject
async def list_teams(
    *,
    actor: OptionalActor,
    q: Annotated[
        QueryText | None, Query(min_length=1, max_length=TEAM_NAME_MAX, description="Name contains")
    ] = None,
    page: TeamPage,
    list_teams: teams.ListTeams = Depends(Provide[C.list_teams]),
) -> dict[str, Any]:
    """Teams with their members (two statements per page, whatever its size)."""
    return page_out(TeamOut, await list_teams(actor, q, page))


@router.get(
    "/teams/{team_id:int}",
    name="teams-read",
    response_model=TeamOut,
    tags=["teams"],
    responses=problem_responses(*AUTH, 404, 422),
    openapi_extra=OPTIONAL_AUTH,
)
@inject
async def read_team(
    team_id: IdPath,
    actor: OptionalActor,
    response: Response,
    get_team: teams.GetTeam = Depends(Provide[C.get_team]),
) -> TeamOut:
    return _team(await get_team(actor, team_id), response)


@router.patch(
    "/teams/{team_id:int}",
    name="teams-patch",
    response_model=TeamOut,
    tags=["teams"],
    responses=problem_responses(*BODY, *AUTH, 404, 409, 412, 422),
)
@inject
async def patch_team(
    team_id: IdPath,
    body: TeamPatchIn,
    actor: CurrentActor,
    response: Response,
    if_match: IfMatch = None,
    patch: teams.PatchTeam = Depends(Provide[C.patch_team]),
) -> TeamOut:
    cmd = patch_command(body, teams.PatchTeamCommand)
    return _team(await patch(actor, team_id, cmd, if_match=if_match), response)


@router.delete(
    "/teams/{team_id:int}",
    name="teams-delete",
    status_code=204,
    tags=["teams"],
    responses=problem_responses(*AUTH, 404, 412, 422),
)
@inject
async def delete_team(
    team_id: IdPath,
    actor: CurrentActor,
    if_match: IfMatch = None,
    delete: teams.DeleteTeam = Depends(Provide[C.delete_team]),
) -> Response:
    """Superusers only. The memberships go with the team; the heroes stay."""
    await delete(actor, team_id, if_match=if_match)
    return Response(status_code=204)


@router.put(
    "/teams/{team_id:int}/members/{hero_id:int}",
    name="teams-set-member",
    response_model=TeamOut,
    tags=["teams"],
    responses=problem_responses(*BODY, *AUTH, 404, 409, 422),
)
@inject
async def set_member(
    team_id: IdPath,
    hero_id: IdPath,
    body: MembershipIn,
    actor: CurrentActor,
    response: Response,
    set_membership: teams.SetMembership = Depends(Provide[C.set_membership]),
) -> TeamOut:
    """Adds the hero to the team, or updates `is_training`; answers the team. Unknown team or
    hero: 404."""
    return _team(await set_membership(actor, team_id, hero_id, body.is_training), response)


@router.delete(
    "/teams/{team_id:int}/members/{hero_id:int}",
    name="teams-remove-member",
    status_code=204,
    tags=["teams"],
    responses=problem_responses(*AUTH, 404, 422),
)
@inject
async def remove_member(
    team_id: IdPath,
    hero_id: IdPath,
    actor: CurrentActor,
    remove: teams.RemoveMembership = Depends(Provide[C.remove_membership]),
) -> Response:
    """204; 404 when the team is unknown or the hero is not one of its members."""
    await remove(actor, team_id, hero_id)
    return Response(status_code=204)


# --- heroes ---------------------------------------------------------------------------------------


@router.post(
    "/heroes",
    name="heroes-create",
    status_code=201,
    response_model=HeroOut,
    tags=["heroes"],
    responses=problem_responses(*BODY, *AUTH, 409, 422),
)
@inject
async def create_hero(
    body: HeroIn,
    actor: CurrentActor,
    request: Request,
    response: Response,
    create: teams.CreateHero = Depends(Provide[C.create_hero]),
) -> HeroOut:
    """A taken name (case-insensitive) is a 409 `already-exists` ("Hero with this name already
    exists"). The answer shows `secret_name` to superusers only."""
    view = await create(actor, teams.CreateHeroCommand(body.name, body.secret_name, body.age))
    response.headers["Location"] = request.app.url_path_for("heroes-read", hero_id=view.id)
    return _hero(view, response)


@router.get(
    "/heroes",
    name="heroes-list",
    response_model=PageOut[HeroOut],
    tags=["heroes"],
    responses=problem_responses(*AUTH, 400, 422),
    openapi_extra=OPTIONAL_AUTH,
)
@inject
async def list_heroes(
    *,
    actor: OptionalActor,
    q: Annotated[
        QueryText | None, Query(min_length=1, max_length=HERO_NAME_MAX, description="Name contains")
    ] = None,
    team_id: Annotated[int | None, Query(ge=1, lt=ID_BOUND, description="Members of this team")] = None,
    min_age: AgeQuery = None,
    max_age: AgeQuery = None,
    page: HeroPage,
    list_heroes: teams.ListHeroes = Depends(Provide[C.list_heroes]),
) -> dict[str, Any]:
    """Heroes with their teams (two statements per page); an age filter leaves out heroes of
    unknown age; `min_age` greater than `max_age` is a 422."""
    query = teams.ListHeroesQuery(q, team_id, min_age, max_age)
    return page_out(HeroOut, await list_heroes(actor, query, page))


@router.get(
    "/heroes/{hero_id:int}",
    name="heroes-read",
    response_model=HeroOut,
    tags=["heroes"],
    responses=problem_responses(*AUTH, 404, 422),
    openapi_extra=OPTIONAL_AUTH,
)
@inject
async def read_hero(
    hero_id: IdPath,
    actor: OptionalActor,
    response: Response,
    get_hero: teams.GetHero = Depends(Provide[C.get_hero]),
) -> HeroOut:
    return _hero(await get_hero(actor, hero_id), response)


@router.patch(
    "/heroes/{hero_id:int}",
    name="heroes-patch",
    response_model=HeroOut,
    tags=["heroes"],
    responses=problem_responses(*BODY, *AUTH, 404, 409, 412, 422),
)
@inject
async def patch_hero(
    hero_id: IdPath,
    body: HeroPatchIn,
    actor: CurrentActor,
    response: Response,
    if_match: IfMatch = None,
    patch: teams.PatchHero = Depends(Provide[C.patch_hero]),
) -> HeroOut:
    cmd = patch_command(body, teams.PatchHeroCommand)
    return _hero(await patch(actor, hero_id, cmd, if_match=if_match), response)


@router.delete(
    "/heroes/{hero_id:int}",
    name="heroes-delete",
    status_code=204,
    tags=["heroes"],
    responses=problem_responses(*AUTH, 404, 412, 422),
)
@inject
async def delete_hero(
    hero_id: IdPath,
    actor: CurrentActor,
    if_match: IfMatch = None,
    delete: teams.DeleteHero = Depends(Provide[C.delete_hero]),
) -> Response:
    """Superusers only. The hero's memberships go with it."""
    await delete(actor, hero_id, if_match=if_match)
    return Response(status_code=204)


# --- statistics -----------------------------------------------------------------------------------


@router.get("/stats/teams", name="stats-teams", response_model=list[TeamStatsOut], tags=["stats"])
@inject
async def team_stats(stats: teams.GetTeamStats = Depends(Provide[C.team_stats])) -> list[TeamStatsOut]:
    """Every team (teams without heroes too: `hero_count` 0, `avg_age` null), most heroes first,
    then the older team. `avg_age`: the mean of the known ages, rounded half up to two places."""
    return [TeamStatsOut.model_validate(row) for row in await stats()]
