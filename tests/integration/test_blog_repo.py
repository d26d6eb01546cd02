"""Blog repository and query contract: fakes, SQLite, PostgreSQL and MariaDB alike (round trips
with full-length Unicode content, the author's foreign key and its cascade, every filter and sort
against the reference semantics, cursors, the HAVING boundary, ``posted_since``)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from application.blog.views import AuthorStatsView, PostFilter
from application.identity.views import UserFilter
from application.pagination import PageRequest, Sort
from domain.blog import CONTENT_MAX, TITLE_MAX, Post
from domain.errors import Conflict
from domain.timestamps import EARLIEST, LATEST
from tests.fakes.blog import post_matches
from tests.integration.conftest import Backend

T0 = datetime(2026, 1, 1, tzinfo=UTC)


async def add_posts(backend: Backend, *posts: Post) -> list[int]:
    async with backend.uow() as uow:
        stored = [await uow.posts.add(p) for p in posts]
        await uow.commit()
    return [p.id for p in stored if p.id is not None]


def post(author: int, title: str = "Hello", at: datetime = T0, content: str = "World") -> Post:
    return Post.new(title=title, content=content, author_id=author, now=at)


async def test_round_trip_update_and_delete(backend: Backend) -> None:
    ann = await backend.user("ann")
    title, content = "é" * TITLE_MAX, "😀" * CONTENT_MAX  # 200,000 bytes of UTF-8
    at = datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    (post_id,) = await add_posts(backend, post(ann, title, at, content))
    view = await backend.posts.get(post_id)
    assert view is not None
    assert (view.title, view.content, view.author.id, view.author.username) == (title, content, ann, "ann")
    assert view.created_at == view.updated_at == at and view.created_at.utcoffset() == timedelta(0)
    later = at + timedelta(microseconds=1)
    async with backend.uow() as uow:
        loaded = await uow.posts.get(post_id, for_update=True)
        assert loaded is not None and (loaded.title, loaded.author_id, loaded.updated_at) == (title, ann, at)
        assert loaded.revise(later, title="Short", content="Body")
        await uow.posts.update(loaded)
        await uow.commit()
    view = await backend.posts.get(post_id)
    assert view is not None and (view.title, view.content, view.updated_at, view.created_at) == (
        "Short",
        "Body",
        later,
        at,
    )
    async with backend.uow() as uow:
        assert await uow.posts.get(999_999) is None
        await uow.posts.delete(post_id)
        await uow.commit()
    assert await backend.posts.get(post_id) is None


async def test_a_post_needs_an_existing_author(backend: Backend) -> None:
    with pytest.raises(Conflict):
        await add_posts(backend, post(999_999))


async def test_hard_deleting_the_author_deletes_the_posts(backend: Backend) -> None:
    ann, bob = await backend.user("ann"), await backend.user("bob")
    gone = await add_posts(backend, post(ann, "a"), post(ann, "b"))
    (kept,) = await add_posts(backend, post(bob, "c"))
    async with backend.uow() as uow:
        await uow.users.delete(ann)
        await uow.commit()
    assert [await backend.posts.get(i) for i in gone] == [None, None]
    assert await backend.posts.get(kept) is not None


async def test_filters_and_sorts_match_the_reference(backend: Backend) -> None:
    authors = [await backend.user(name) for name in ("ann", "bob", "cid")]
    rng = random.Random(7)
    titles = ["Alpha", "alphabet", "50% off", "5 off", "snake_case", "snakeXcase", "Ünïcode", "Zed", "a\\b"]
    made = [
        post(rng.choice(authors), f"{rng.choice(titles)} {i}", T0 + timedelta(hours=rng.randint(0, 48)))
        for i in range(40)
    ]
    await add_posts(backend, *made)
    listed = await backend.posts.list(PostFilter(), PageRequest(Sort("created_at"), limit=100))
    reference = listed.items
    assert listed.total == 40 and listed.next_key is None
    filters = [
        PostFilter(),
        PostFilter(author_id=authors[0]),
        PostFilter(since=T0 + timedelta(hours=24)),
        PostFilter(since=made[0].created_at),  # at or after: that post itself is in
        PostFilter(q="ALPHA"),
        PostFilter(q="%"),
        PostFilter(q="_"),
        PostFilter(q="\\"),
        PostFilter(q="Ünï"),  # Unicode (SQLite folds only ASCII case, so the same case)
        PostFilter(author_id=authors[1], since=T0 + timedelta(hours=12), q="a"),
        PostFilter(since=EARLIEST),
        PostFilter(since=LATEST),
        PostFilter(author_id=999_999),
    ]
    for flt in filters:
        for sort in (Sort("created_at"), Sort("created_at", True), Sort("title"), Sort("title", True)):
            expected = sorted(
                (p for p in reference if post_matches(p, flt)),
                key=lambda p, f=sort.field: (getattr(p, f), p.id),
                reverse=sort.descending,
            )
            walked, after = [], None
            while True:
                page = await backend.posts.list(flt, PageRequest(sort, limit=7, after=after))
                assert page.total == len(expected), (flt, sort)
                walked += page.items
                if (after := page.next_key) is None:
                    break
            assert [p.id for p in walked] == [p.id for p in expected], (flt, sort)
    assert (await backend.posts.list(PostFilter(q="%"), PageRequest(Sort("title")))).total == sum(
        "%" in p.title for p in reference
    )
    offset = await backend.posts.list(PostFilter(), PageRequest(Sort("title"), limit=5, offset=38))
    assert offset.total == 40 and len(offset.items) == 2 and offset.next_key is None
    past = await backend.posts.list(PostFilter(), PageRequest(Sort("title"), limit=5, offset=50))
    assert (past.items, past.total) == ([], 40)


async def test_author_stats_having_boundary(backend: Backend) -> None:
    ann, bob, cid, dan = [await backend.user(n) for n in ("ann", "bob", "cid", "dan")]
    for who, n in ((ann, 5), (bob, 6), (cid, 6), (dan, 2)):
        await add_posts(backend, *(post(who, f"p{i}") for i in range(n)))
    assert await backend.posts.authors(5, 20) == [  # ann's exactly 5 are not more than 5
        AuthorStatsView(bob, "bob", 6),
        AuthorStatsView(cid, "cid", 6),
    ]
    assert [a.user_id for a in await backend.posts.authors(4, 20)] == [bob, cid, ann]
    assert [a.user_id for a in await backend.posts.authors(0, 3)] == [bob, cid, ann]
    assert [a.post_count for a in await backend.posts.authors(0, 20)] == [6, 6, 5, 2]
    assert await backend.posts.authors(6, 20) == []
    async with backend.uow() as uow:  # a soft-deleted author drops out of the statistics
        user = await uow.users.get(bob)
        assert user is not None
        user.soft_delete(T0)
        await uow.users.update(user)
        await uow.commit()
    assert [a.user_id for a in await backend.posts.authors(5, 20)] == [cid]


async def test_users_posted_since(backend: Backend) -> None:
    ann, bob, cid = await backend.user("ann"), await backend.user("bob"), await backend.user("cid")
    inactive = await backend.user("dan", is_active=False)
    await add_posts(
        backend,
        post(ann, "old", T0),
        post(bob, "new", T0 + timedelta(days=2)),
        post(bob, "newer", T0 + timedelta(days=3)),
        post(inactive, "x", T0 + timedelta(days=2)),
    )
    by_name = PageRequest(Sort("username"), limit=10)

    async def names(flt: UserFilter, page: PageRequest = by_name) -> list[str]:
        return [u.username for u in (await backend.users.list(flt, page)).items]

    assert await names(UserFilter(posted_since=T0)) == ["ann", "bob", "dan"]
    assert await names(UserFilter(posted_since=T0 + timedelta(days=2))) == ["bob", "dan"]  # at or after
    assert await names(UserFilter(posted_since=T0 + timedelta(days=2, microseconds=1))) == ["bob"]
    assert await names(UserFilter(posted_since=LATEST)) == []
    assert await names(UserFilter(posted_since=EARLIEST, is_active=True)) == ["ann", "bob"]
    assert await names(UserFilter(posted_since=T0, q="D")) == ["dan"]
    assert cid not in [u.id for u in (await backend.users.list(UserFilter(posted_since=T0), by_name)).items]
    first = await backend.users.list(UserFilter(posted_since=T0), PageRequest(Sort("username"), limit=2))
    assert first.total == 3 and first.next_key is not None and len(first.items) == 2
    rest = await backend.users.list(
        UserFilter(posted_since=T0), PageRequest(Sort("username"), limit=2, after=first.next_key)
    )
    assert [u.username for u in rest.items] == ["dan"] and rest.total == 3
    offset = await backend.users.list(UserFilter(posted_since=T0), PageRequest(Sort("username"), offset=1))
    assert [u.username for u in offset.items] == ["bob", "dan"]
