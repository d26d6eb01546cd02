"""Blog ports: posts (write side), the post query service (read side), and
``BlogUnitOfWork``, the repositories the blog's use cases use.

Cross-context use (docs/adr/0011-per-context-layout.md): an ``If-Match`` check reads the
author's username through identity's ``UserRepository`` (the ETag covers it); a user's post list
checks the user through identity's ``UserQueries``. Identity's hard delete removes a user's
posts through the posts' foreign key (ON DELETE CASCADE), and its ``posted_since`` filter reads
posts in its own query service (an ``EXISTS``).
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Protocol

from application.blog.views import AuthorStatsView, PostFilter, PostView
from application.pagination import PageRequest, Slice
from application.ports import UnitOfWork
from domain.blog import Post

if TYPE_CHECKING:  # contexts may refer to each other's ports; only the type checker follows them
    from application.identity.ports import UserRepository


class PostRepository(Protocol):
    async def add(self, post: Post) -> Post:
        """Stores the post; its author must be a stored user (the foreign key)."""
        ...

    async def get(self, post_id: int, *, for_update: bool = False) -> Post | None:
        """With ``for_update`` the row stays locked until the unit of work ends, so a check of
        ``If-Match`` and the write that follows it see the same version."""
        ...

    async def update(self, post: Post) -> None:
        """Writes title, content and ``updated_at``."""
        ...

    async def delete(self, post_id: int) -> None: ...


class PostQueries(Protocol):
    async def get(self, post_id: int) -> PostView | None:
        """One statement: the post and its author's name."""
        ...

    async def list(self, flt: PostFilter, page: PageRequest) -> Slice[PostView]:
        """One statement per page (the total is a sub-select of it)."""
        ...

    async def authors(self, min_posts: int, limit: int) -> builtins.list[AuthorStatsView]:
        """Users (not deleted) with more than ``min_posts`` posts, most first (ties by user id),
        at most ``limit`` of them: one ``GROUP BY ... HAVING`` statement."""
        ...


class BlogUnitOfWork(UnitOfWork, Protocol):
    @property
    def posts(self) -> PostRepository: ...
    @property
    def users(self) -> UserRepository:
        """Identity's: the author's username is part of a post's ETag."""
        ...
