"""Blog adapters: the post repository (write side, inside a unit of work) and the post query
service (read side, autocommit connection, one statement per call): a post with its author's
name through a join, a page with its total as a sub-select, author counts as one
``GROUP BY ... HAVING``."""

from __future__ import annotations

import builtins
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, bindparam, delete, false, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from application.blog.views import AuthorStatsView, AuthorView, PostFilter, PostView
from application.pagination import PageRequest, Slice
from domain.blog import Post
from infrastructure.persistence.database import ReadPath
from infrastructure.persistence.models import PostRow, UserRow
from infrastructure.persistence.queries import by_datetime, by_text, contains, fetch_page, load_row, reading

_posts = cast(Table, PostRow.__table__)
_users = cast(Table, UserRow.__table__)


# --- write side -----------------------------------------------------------------------------------


def _values(post: Post) -> dict[str, Any]:
    return {
        "title": post.title,
        "content": post.content,
        "author_id": post.author_id,
        "created_at": post.created_at,
        "updated_at": post.updated_at,
    }


class SqlPostRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, post: Post) -> Post:
        # The new id by RETURNING where the engine has it, else by the driver's last insert id.
        result = await self._session.execute(insert(_posts).values(**_values(post)))
        post.id = int(result.inserted_primary_key[0])  # type: ignore[attr-defined]
        return post

    async def get(self, post_id: int, *, for_update: bool = False) -> Post | None:
        m = await load_row(self._session, _posts, post_id, for_update=for_update)
        if m is None:
            return None
        return Post(
            id=m["id"],
            title=m["title"],
            content=m["content"],
            author_id=m["author_id"],
            created_at=m["created_at"],
            updated_at=m["updated_at"],
        )

    async def update(self, post: Post) -> None:
        assert post.id is not None
        await self._session.execute(update(_posts).where(_posts.c.id == post.id).values(**_values(post)))

    async def delete(self, post_id: int) -> None:
        await self._session.execute(delete(_posts).where(_posts.c.id == post_id))


# --- read side ------------------------------------------------------------------------------------

_POST_COLUMNS = (
    _posts.c.id,
    _posts.c.title,
    _posts.c.content,
    _posts.c.author_id,
    _users.c.username.label("author_username"),
    _posts.c.created_at,
    _posts.c.updated_at,
)
_POST_SOURCE = _posts.join(_users, _users.c.id == _posts.c.author_id)
_POST_SORTS = {"created_at": by_datetime(_posts.c.created_at), "title": by_text(_posts.c.title)}
# Built once: SQLAlchemy memoises a statement's cache key on the object.
_GET = select(*_POST_COLUMNS).select_from(_POST_SOURCE).where(_posts.c.id == bindparam("post_id"))


def _post_view(row: Any) -> PostView:
    m = row._mapping
    return PostView(
        id=m["id"],
        title=m["title"],
        content=m["content"],
        author=AuthorView(m["author_id"], m["author_username"]),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def _where(flt: PostFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if flt.author_id is not None:
        where.append(_posts.c.author_id == flt.author_id)
    if flt.since is not None:
        where.append(_posts.c.created_at >= flt.since)  # bound through the column's UTC type
    if flt.q:
        where.append(contains(_posts.c.title, flt.q))
    return where


class SqlPostQueries:
    def __init__(self, reads: ReadPath) -> None:
        self._reads = reads

    async def get(self, post_id: int) -> PostView | None:
        async with reading(self._reads) as conn:
            row = (await conn.execute(_GET, {"post_id": post_id})).first()
        return _post_view(row) if row is not None else None

    async def list(self, flt: PostFilter, page: PageRequest) -> Slice[PostView]:
        async with reading(self._reads) as conn:
            rows, total, next_key = await fetch_page(
                conn,
                _POST_COLUMNS,
                _POST_SOURCE,
                _where(flt),
                _POST_SORTS,
                _posts.c.id,
                page,
                count_source=_posts,  # every post has its author (the foreign key)
            )
        return Slice([_post_view(r) for r in rows], total, next_key)

    async def authors(self, min_posts: int, limit: int) -> builtins.list[AuthorStatsView]:
        post_count = func.count(_posts.c.id).label("post_count")
        stmt = (
            select(_users.c.id, _users.c.username, post_count)
            .select_from(_users.join(_posts, _posts.c.author_id == _users.c.id))
            .where(_users.c.is_deleted == false())
            .group_by(_users.c.id, _users.c.username)
            .having(func.count(_posts.c.id) > min_posts)
            .order_by(post_count.desc(), _users.c.id)
            .limit(limit)
        )
        async with reading(self._reads) as conn:
            rows = (await conn.execute(stmt)).all()
        return [AuthorStatsView(r.id, r.username, r.post_count) for r in rows]
