"""Identity routes: ``/auth/token``, ``/users``, ``/stats/users``. Parse, call a use case, shape
the response; rules and authorisation live in ``application.identity``."""

from __future__ import annotations

from typing import Annotated, Any

from dependency_injector.wiring import inject
from fastapi import APIRouter, Depends, Form, Query, Request, Response

from application import identity
from application.identity.views import UserFilter
from application.pagination import PageParams
from domain.identity import Profile
from infrastructure.container import Container
from interfaces.http.auth import CurrentActor, CurrentUser
from interfaces.http.client import client_address
from interfaces.http.di import Provide
from interfaces.http.paging import page_params
from interfaces.http.problems import problem_responses
from interfaces.http.schemas.common import (
    IdPath,
    PageOut,
    QueryText,
    Since,
    json_response,
    page_out,
    patch_command,
)
from interfaces.http.schemas.identity import (
    ActivatedOut,
    ActivateUsersIn,
    AdminUserPatchIn,
    LoginForm,
    ProfileIn,
    SignUpIn,
    TokenOut,
    UserPatchIn,
    UserPrivateOut,
    UserPublicOut,
    UserStatsOut,
    private_user_document,
)

router = APIRouter()
C = Container.identity
AUTH = (401, 403)
UserPage = Annotated[PageParams, Depends(page_params(identity.USER_SORTS, "created_at"))]


def _update_command(body: UserPatchIn) -> identity.UpdateUserCommand:
    return patch_command(body, identity.UpdateUserCommand, email=str)


@router.post(
    "/auth/token",
    name="auth-issue-token",
    response_model=TokenOut,
    tags=["auth"],
    responses=problem_responses(401, 403, 422, 429),
)
@inject
async def issue_token(
    form: Annotated[LoginForm, Form()],
    request: Request,
    response: Response,
    issue: identity.IssueToken = Depends(Provide[C.issue_token]),
) -> TokenOut:
    """OAuth2 password flow: `username` is the email or the username. At most 5 wrong guesses
    per account and client address, and 50 per account, are evaluated per 15 minutes; beyond
    that, 429 with `Retry-After`."""
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 5.1
    response.headers["Pragma"] = "no-cache"
    return TokenOut.model_validate(await issue(form.username, form.password, client_address(request)))


@router.post(
    "/users",
    name="users-sign-up",
    status_code=201,
    response_model=UserPrivateOut,
    tags=["users"],
    responses=problem_responses(409, 422),
)
@inject
async def sign_up(body: SignUpIn, sign_up: identity.SignUp = Depends(Provide[C.sign_up])) -> UserPrivateOut:
    cmd = identity.SignUpCommand(str(body.email), body.username, body.password, body.full_name)
    return UserPrivateOut.model_validate(await sign_up(cmd))


@router.get(
    "/users/me",
    name="users-read-me",
    response_model=UserPrivateOut,
    tags=["users"],
    responses=problem_responses(*AUTH),
)
async def read_me(user: CurrentUser) -> Response:
    return json_response(private_user_document(user))


@router.patch(
    "/users/me",
    name="users-update-me",
    response_model=UserPrivateOut,
    tags=["users"],
    responses=problem_responses(*AUTH, 404, 409, 422),
)
@inject
async def update_me(
    body: UserPatchIn,
    actor: CurrentActor,
    update: identity.UpdateMe = Depends(Provide[C.update_me]),
) -> UserPrivateOut:
    return UserPrivateOut.model_validate(await update(actor, _update_command(body)))


@router.put(
    "/users/me/profile",
    name="users-replace-profile",
    response_model=UserPrivateOut,
    tags=["users"],
    responses=problem_responses(*AUTH, 404, 422),
)
@inject
async def replace_profile(
    body: ProfileIn,
    actor: CurrentActor,
    replace: identity.ReplaceProfile = Depends(Provide[C.replace_profile]),
) -> UserPrivateOut:
    profile = Profile(bio=body.bio, avatar_url=body.avatar_url)
    return UserPrivateOut.model_validate(await replace(actor, profile))


@router.delete(
    "/users/me",
    name="users-delete-me",
    status_code=204,
    tags=["users"],
    responses=problem_responses(*AUTH, 404),
)
@inject
async def delete_me(
    actor: CurrentActor, delete: identity.DeleteUser = Depends(Provide[C.delete_user])
) -> Response:
    await delete(actor, actor.user_id)
    return Response(status_code=204)


@router.get(
    "/users",
    name="users-list",
    response_model=PageOut[UserPrivateOut],
    tags=["users"],
    responses=problem_responses(*AUTH, 400, 422),
)
@inject
async def list_users(
    *,
    actor: CurrentActor,
    list_users: identity.ListUsers = Depends(Provide[C.list_users]),
    q: Annotated[QueryText | None, Query(min_length=1, max_length=200)] = None,
    is_active: bool | None = None,
    posted_since: Annotated[
        Since | None,
        Query(description="Users with a post created at or after: a date-time with offset, or a date"),
    ] = None,
    page: UserPage,
) -> dict[str, Any]:
    flt = UserFilter(q=q, is_active=is_active, posted_since=posted_since)
    found = await list_users(actor, flt, page)
    return page_out(UserPrivateOut, found)


@router.post(
    "/users/activate",
    name="users-activate",
    response_model=ActivatedOut,
    tags=["users"],
    responses=problem_responses(*AUTH, 422),
)
@inject
async def activate_users(
    body: ActivateUsersIn,
    actor: CurrentActor,
    activate: identity.ActivateUsers = Depends(Provide[C.activate_users]),
) -> ActivatedOut:
    return ActivatedOut(updated=await activate(actor, body.user_ids))


@router.get(
    "/users/{user_id:int}",
    name="users-read",
    response_model=UserPublicOut,
    tags=["users"],
    responses=problem_responses(404, 422),
)
@inject
async def read_user(
    user_id: IdPath, get_user: identity.GetUser = Depends(Provide[C.get_user])
) -> UserPublicOut:
    return UserPublicOut.model_validate(await get_user(user_id))


@router.patch(
    "/users/{user_id:int}",
    name="users-update",
    response_model=UserPrivateOut,
    tags=["users"],
    responses=problem_responses(*AUTH, 404, 409, 422),
)
@inject
async def update_user(
    user_id: IdPath,
    body: AdminUserPatchIn,
    actor: CurrentActor,
    update: identity.UpdateUser = Depends(Provide[C.update_user]),
) -> UserPrivateOut:
    return UserPrivateOut.model_validate(await update(actor, user_id, _update_command(body)))


@router.delete(
    "/users/{user_id:int}",
    name="users-delete",
    status_code=204,
    tags=["users"],
    responses=problem_responses(*AUTH, 404, 409, 422),
)
@inject
async def delete_user(
    user_id: IdPath,
    actor: CurrentActor,
    delete: identity.DeleteUser = Depends(Provide[C.delete_user]),
    hard: bool = False,
) -> Response:
    """Soft delete; `?hard=true` removes the user and everything they own."""
    await delete(actor, user_id, hard=hard)
    return Response(status_code=204)


@router.get("/stats/users", name="stats-users", response_model=UserStatsOut, tags=["stats"])
@inject
async def user_stats(
    stats: identity.GetUserStats = Depends(Provide[C.user_stats]),
) -> UserStatsOut:
    return UserStatsOut.model_validate(await stats())
