"""Blog use cases: posts (create, read, list, patch, delete), a user's posts, author statistics.

Authorisation (the author or a superuser edits; unknown posts are 404 before anyone is refused)
and ``If-Match`` preconditions are decided here, so the unit tests cover them; routers only
parse and shape. Every write runs through ``Transactions``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from application.blog.ports import BlogUnitOfWork, PostQueries
from application.blog.views import AuthorStatsView, PostFilter, PostView, post_etag
from application.common import UNSET, Actor, Unset
from application.identity.ports import UserQueries
from application.pagination import MAX_LIMIT, CursorCodec, Page, PageParams, scope_of
from application.ports import Clock
from application.preconditions import require_match
from application.transactions import Transactions
from domain.blog import Post
from domain.errors import Forbidden, InvalidInput, NotFound
from domain.text import check_text

POST_SORTS = ("created_at", "title")
DEFAULT_MIN_POSTS = 5
DEFAULT_AUTHORS = 20

BlogTransactions = Transactions[BlogUnitOfWork]


def _not_found(post_id: int) -> NotFound:
    return NotFound(f"Post {post_id} not found")


async def _load_for_write(uow: BlogUnitOfWork, actor: Actor, post_id: int, if_match: str | None) -> Post:
    """The post, locked; unknown is 404, anyone but its author or a superuser 403, a stale
    ``If-Match`` 412 (in that order)."""
    post = await uow.posts.get(post_id, for_update=True)
    if post is None:
        raise _not_found(post_id)
    if not (actor.is_superuser or actor.user_id == post.author_id):
        raise Forbidden("Only the author or a superuser may change this post")
    assert post.updated_at is not None
    updated_at = post.updated_at

    async def current() -> str:  # only a real tag needs the author's name
        author = await uow.users.get(post.author_id)
        return post_etag(post_id, updated_at, author.username if author is not None else "")

    await require_match(if_match, current, "post")
    return post


# --- commands -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreatePostCommand:
    title: str
    content: str


@dataclass(frozen=True, slots=True)
class PatchPostCommand:
    """PATCH: ``UNSET`` fields are left alone."""

    title: str | Unset = UNSET
    content: str | Unset = UNSET


@dataclass(frozen=True, slots=True)
class ListPostsQuery:
    """``since`` is an aware instant (``domain.timestamps.parse_since`` reads the text)."""

    author_id: int | None = None
    since: datetime | None = None
    q: str | None = None


# --- write use cases ------------------------------------------------------------------------------


class _PostWrite:
    def __init__(self, tx: BlogTransactions, queries: PostQueries, clock: Clock) -> None:
        self._tx, self._queries, self._clock = tx, queries, clock

    async def _view(self, post_id: int) -> PostView:
        """The committed post as every reader will see it (the author's name included)."""
        view = await self._queries.get(post_id)
        if view is None:  # deleted by someone else right after our commit
            raise _not_found(post_id)
        return view


class CreatePost(_PostWrite):
    async def __call__(self, actor: Actor, cmd: CreatePostCommand) -> PostView:
        post = Post.new(title=cmd.title, content=cmd.content, author_id=actor.user_id, now=self._clock.now())

        async def work(uow: BlogUnitOfWork) -> int:
            stored = await uow.posts.add(post)
            assert stored.id is not None
            return stored.id

        return await self._view(await self._tx(work))


class PatchPost(_PostWrite):
    async def __call__(
        self, actor: Actor, post_id: int, cmd: PatchPostCommand, *, if_match: str | None = None
    ) -> PostView:
        async def work(uow: BlogUnitOfWork) -> None:
            post = await _load_for_write(uow, actor, post_id, if_match)
            if post.revise(self._clock.now(), title=cmd.title, content=cmd.content):
                await uow.posts.update(post)

        await self._tx(work)
        return await self._view(post_id)


class DeletePost:
    def __init__(self, tx: BlogTransactions) -> None:
        self._tx = tx

    async def __call__(self, actor: Actor, post_id: int, *, if_match: str | None = None) -> None:
        async def work(uow: BlogUnitOfWork) -> None:
            await _load_for_write(uow, actor, post_id, if_match)
            await uow.posts.delete(post_id)

        await self._tx(work)


# --- read use cases -------------------------------------------------------------------------------


class GetPost:
    def __init__(self, queries: PostQueries) -> None:
        self._queries = queries

    async def __call__(self, post_id: int) -> PostView:
        view = await self._queries.get(post_id)
        if view is None:
            raise _not_found(post_id)
        return view


def post_filter(query: ListPostsQuery) -> PostFilter:
    return PostFilter(
        author_id=query.author_id,
        since=query.since,
        q=check_text(query.q, "q") if query.q else None,
    )


def _scope(flt: PostFilter) -> str:
    since = flt.since.isoformat() if flt.since is not None else None
    return scope_of("posts", flt.author_id, since, flt.q)


class ListPosts:
    def __init__(self, queries: PostQueries, cursors: CursorCodec) -> None:
        self._queries, self._cursors = queries, cursors

    async def __call__(self, query: ListPostsQuery, params: PageParams) -> Page[PostView]:
        flt = post_filter(query)
        scope = _scope(flt)
        request = self._cursors.page_request(params, POST_SORTS, scope)
        return self._cursors.page(request, await self._queries.list(flt, request), scope)


class ListUserPosts:
    """A user's posts; unknown or soft-deleted users are 404."""

    def __init__(self, users: UserQueries, posts: ListPosts) -> None:
        self._users, self._posts = users, posts

    async def __call__(self, user_id: int, params: PageParams) -> Page[PostView]:
        if await self._users.private_view(user_id) is None:
            raise NotFound(f"User {user_id} not found")
        return await self._posts(ListPostsQuery(author_id=user_id), params)


class GetAuthorStats:
    """Authors with more than ``min_posts`` posts, most first: one GROUP BY ... HAVING."""

    def __init__(self, queries: PostQueries) -> None:
        self._queries = queries

    async def __call__(
        self, min_posts: int = DEFAULT_MIN_POSTS, limit: int = DEFAULT_AUTHORS
    ) -> list[AuthorStatsView]:
        if min_posts < 0:
            raise InvalidInput("min_posts must be 0 or more", "min_posts")
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", "limit")
        return await self._queries.authors(min_posts, limit)
