"""Blog routes: ``/posts``, ``/users/{id}/posts`` and ``/stats/authors``. Parse, call a use case,
shape the response (and the ``ETag``); rules, authorisation and preconditions live in
``application.blog``."""

from __future__ import annotations

from typing import Annotated, Any

from dependency_injector.wiring import inject
from fastapi import APIRouter, Depends, Query, Request, Response

from application import blog
from application.blog.views import PostView
from application.pagination import MAX_LIMIT, PageParams
from infrastructure.container import Container
from interfaces.http.auth import CurrentActor
from interfaces.http.di import Provide
from interfaces.http.paging import page_params
from interfaces.http.problems import problem_responses
from interfaces.http.schemas.blog import AuthorStatsOut, PostIn, PostOut, PostPatchIn
from interfaces.http.schemas.common import (
    ID_BOUND,
    IdPath,
    IfMatch,
    PageOut,
    QueryText,
    Since,
    page_out,
    patch_command,
)

router = APIRouter()
C = Container.blog
AUTH = (401, 403)
BODY = (400, 413)  # malformed JSON, body over the size limit
PostPage = Annotated[PageParams, Depends(page_params(blog.POST_SORTS, "-created_at"))]


def _post(view: PostView, response: Response) -> PostOut:
    response.headers["ETag"] = view.etag
    return PostOut.model_validate(view)


@router.post(
    "/posts",
    name="posts-create",
    status_code=201,
    response_model=PostOut,
    tags=["posts"],
    responses=problem_responses(*BODY, *AUTH, 422),
)
@inject
async def create_post(
    body: PostIn,
    actor: CurrentActor,
    request: Request,
    response: Response,
    create: blog.CreatePost = Depends(Provide[C.create_post]),
) -> PostOut:
    """A new post; the author is the caller."""
    view = await create(actor, blog.CreatePostCommand(body.title, body.content))
    response.headers["Location"] = request.app.url_path_for("posts-read", post_id=view.id)
    return _post(view, response)


@router.get(
    "/posts",
    name="posts-list",
    response_model=PageOut[PostOut],
    tags=["posts"],
    responses=problem_responses(400, 422),
)
@inject
async def list_posts(
    *,
    author_id: Annotated[int | None, Query(ge=1, lt=ID_BOUND)] = None,
    since: Annotated[
        Since | None,
        Query(description="Created at or after: a date-time with offset, or a date (its start in UTC)"),
    ] = None,
    q: Annotated[QueryText | None, Query(min_length=1, max_length=200, description="Title contains")] = None,
    page: PostPage,
    list_posts: blog.ListPosts = Depends(Provide[C.list_posts]),
) -> dict[str, Any]:
    """Newest first unless `sort` says otherwise (`id` breaks ties)."""
    return page_out(PostOut, await list_posts(blog.ListPostsQuery(author_id, since, q), page))


@router.get(
    "/posts/{post_id:int}",
    name="posts-read",
    response_model=PostOut,
    tags=["posts"],
    responses=problem_responses(404, 422),
)
@inject
async def read_post(
    post_id: IdPath, response: Response, get_post: blog.GetPost = Depends(Provide[C.get_post])
) -> PostOut:
    return _post(await get_post(post_id), response)


@router.patch(
    "/posts/{post_id:int}",
    name="posts-patch",
    response_model=PostOut,
    tags=["posts"],
    responses=problem_responses(*BODY, *AUTH, 404, 412, 422),
)
@inject
async def patch_post(
    post_id: IdPath,
    body: PostPatchIn,
    actor: CurrentActor,
    response: Response,
    if_match: IfMatch = None,
    patch: blog.PatchPost = Depends(Provide[C.patch_post]),
) -> PostOut:
    """The author or a superuser; others 403, unknown posts 404, a stale `If-Match` 412."""
    cmd = patch_command(body, blog.PatchPostCommand)
    return _post(await patch(actor, post_id, cmd, if_match=if_match), response)


@router.delete(
    "/posts/{post_id:int}",
    name="posts-delete",
    status_code=204,
    tags=["posts"],
    responses=problem_responses(*AUTH, 404, 412, 422),
)
@inject
async def delete_post(
    post_id: IdPath,
    actor: CurrentActor,
    if_match: IfMatch = None,
    delete: blog.DeletePost = Depends(Provide[C.delete_post]),
) -> Response:
    """The author or a superuser; others 403, unknown posts 404, a stale `If-Match` 412."""
    await delete(actor, post_id, if_match=if_match)
    return Response(status_code=204)


@router.get(
    "/users/{user_id:int}/posts",
    name="users-list-posts",
    response_model=PageOut[PostOut],
    tags=["users"],
    responses=problem_responses(400, 404, 422),
)
@inject
async def list_user_posts(
    *,
    user_id: IdPath,
    page: PostPage,
    list_user_posts: blog.ListUserPosts = Depends(Provide[C.list_user_posts]),
) -> dict[str, Any]:
    """That user's posts, newest first by default; unknown or deleted users are 404."""
    return page_out(PostOut, await list_user_posts(user_id, page))


@router.get(
    "/stats/authors",
    name="stats-authors",
    response_model=list[AuthorStatsOut],
    tags=["stats"],
    responses=problem_responses(422),
)
@inject
async def author_stats(
    *,
    min_posts: Annotated[
        int, Query(ge=0, le=2**31 - 1, description="Authors with more than this many posts")
    ] = blog.DEFAULT_MIN_POSTS,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most this many authors")] = (
        blog.DEFAULT_AUTHORS
    ),
    stats: blog.GetAuthorStats = Depends(Provide[C.author_stats]),
) -> list[AuthorStatsOut]:
    """Authors (not deleted) with more than `min_posts` posts, most posts first (ties by user id)."""
    return [AuthorStatsOut.model_validate(a) for a in await stats(min_posts, limit)]
