"""Blog views and filters: the frozen dataclasses the blog's use cases return and its query
service fills."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from application.preconditions import strong_etag


@dataclass(frozen=True, slots=True)
class AuthorView:
    id: int
    username: str


@dataclass(frozen=True, slots=True)
class PostView:
    id: int
    title: str
    content: str
    author: AuthorView
    created_at: datetime
    updated_at: datetime

    @property
    def etag(self) -> str:
        return post_etag(self.id, self.updated_at, self.author.username)


def post_etag(post_id: int, updated_at: datetime, author_username: str) -> str:
    """Strong ETag of a post's representation: its ``updated_at`` and its author's username."""
    return strong_etag("post", post_id, updated_at, author_username)


@dataclass(frozen=True, slots=True)
class PostFilter:
    """``since``: created at or after (aware UTC); ``q``: title contains, case-insensitive."""

    author_id: int | None = None
    since: datetime | None = None
    q: str | None = None


@dataclass(frozen=True, slots=True)
class AuthorStatsView:
    user_id: int
    username: str
    post_count: int
