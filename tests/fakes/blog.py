"""Fakes of the blog's ports: posts (write side) and post queries (read side), with the
database's rules: the author's foreign key, and the authors' GROUP BY ... HAVING."""

from __future__ import annotations

import builtins
import copy
from typing import TYPE_CHECKING

from application.blog.views import AuthorStatsView, AuthorView, PostFilter, PostView
from application.pagination import PageRequest, Slice
from domain.blog import Post
from domain.errors import Conflict
from tests.fakes.paging import fake_page
from tests.fakes.state import FakeDatabase, FakeState

if TYPE_CHECKING:
    from tests.fakes.uow import FakeUnitOfWork


class FakePostRepository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def _posts(self) -> dict[int, Post]:
        return self._uow.state.posts

    async def add(self, post: Post) -> Post:
        self._uow.db.run("posts.add")
        if post.author_id not in self._uow.state.users:  # fk_posts_author_id_users
            raise Conflict("The Post refers to a row that does not exist")
        post.id = self._uow.state.new_id("posts")
        self._posts[post.id] = copy.deepcopy(post)
        return post

    async def get(self, post_id: int, *, for_update: bool = False) -> Post | None:
        self._uow.db.run("posts.get", for_update=for_update)
        post = self._posts.get(post_id)
        return copy.deepcopy(post) if post else None

    async def update(self, post: Post) -> None:
        self._uow.db.run("posts.update")
        assert post.id in self._posts
        self._posts[post.id] = copy.deepcopy(post)

    async def delete(self, post_id: int) -> None:
        self._uow.db.run("posts.delete")
        self._posts.pop(post_id, None)


def post_view(state: FakeState, post: Post) -> PostView:
    assert post.id is not None and post.created_at and post.updated_at
    author = state.users[post.author_id]
    return PostView(
        id=post.id,
        title=post.title,
        content=post.content,
        author=AuthorView(post.author_id, author.username),
        created_at=post.created_at,
        updated_at=post.updated_at,
    )


def post_matches(post: Post | PostView, flt: PostFilter) -> bool:
    """The reference semantics of a post filter (also used by tests against SQL)."""
    author_id = post.author_id if isinstance(post, Post) else post.author.id
    assert post.created_at is not None
    if flt.author_id is not None and author_id != flt.author_id:
        return False
    if flt.since is not None and post.created_at < flt.since:
        return False
    return not flt.q or flt.q.lower() in post.title.lower()


class FakePostQueries:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db

    async def get(self, post_id: int) -> PostView | None:
        post = self._db.state.posts.get(post_id)
        return post_view(self._db.state, post) if post else None

    async def list(self, flt: PostFilter, page: PageRequest) -> Slice[PostView]:
        state = self._db.state
        return fake_page([post_view(state, p) for p in state.posts.values() if post_matches(p, flt)], page)

    async def authors(self, min_posts: int, limit: int) -> builtins.list[AuthorStatsView]:
        state = self._db.state
        counts: dict[int, int] = {}
        for post in state.posts.values():
            counts[post.author_id] = counts.get(post.author_id, 0) + 1
        rows = [
            AuthorStatsView(user_id, state.users[user_id].username, n)
            for user_id, n in counts.items()
            if n > min_posts and not state.users[user_id].is_deleted
        ]
        return sorted(rows, key=lambda r: (-r.post_count, r.user_id))[:limit]
