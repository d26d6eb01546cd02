"""Blog rules and use cases against the fakes: title and content rules, ``since`` parsing,
authorisation (author or superuser; unknown 404 before 403), If-Match, filters and cursors, a
user's posts, the author statistics' HAVING boundary, and identity's ``posted_since``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dependency_injector import providers

from application import blog
from application.blog.views import AuthorStatsView, AuthorView, PostView, post_etag
from application.common import Actor
from application.errors import TransientConflict
from application.identity.views import UserFilter
from application.pagination import Page, PageParams
from application.preconditions import strong_etag
from domain.blog import CONTENT_MAX, TITLE_MAX, Post, check_content, check_title
from domain.errors import BadRequest, Forbidden, InvalidInput, NotFound, PreconditionFailed
from domain.identity import User
from domain.timestamps import EARLIEST, LATEST, SINCE_RULE, parse_since
from tests.fakes import Statement
from tests.fakes.blog import FakePostQueries
from tests.fakes.container import Fakes

T = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class Env(Fakes):
    def user(self, name: str, **flags: object) -> Actor:
        user_id = self.db.state.new_id("users")
        now = self.clock.now()
        self.db.state.users[user_id] = User(
            f"{name}@x.io",
            name,
            "h",
            id=user_id,
            created_at=now,
            updated_at=now,
            **flags,  # type: ignore[arg-type]
        )
        return Actor(user_id, is_superuser=bool(flags.get("is_superuser")))

    async def post(self, author: Actor, title: str = "Hello", content: str = "World") -> PostView:
        return await self.blog.create_post()(author, blog.CreatePostCommand(title, content))

    async def patch(self, actor: Actor, post_id: int, if_match: str | None = None, **fields: str) -> PostView:
        return await self.blog.patch_post()(
            actor, post_id, blog.PatchPostCommand(**fields), if_match=if_match
        )

    async def delete(self, actor: Actor, post_id: int, if_match: str | None = None) -> None:
        await self.blog.delete_post()(actor, post_id, if_match=if_match)

    async def list(self, query: blog.ListPostsQuery, **params: object) -> Page[PostView]:
        return await self.blog.list_posts()(query, PageParams(**{"sort": "-created_at", **params}))  # type: ignore[arg-type]


@pytest.fixture
def env() -> Env:
    return Env()


# --- domain: posts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check", "field", "maximum"),
    [(check_title, "title", TITLE_MAX), (check_content, "content", CONTENT_MAX)],
)
def test_title_and_content_bounds_both_sides(check, field: str, maximum: int) -> None:
    assert (TITLE_MAX, CONTENT_MAX) == (200, 50_000)
    assert check("x") == "x" and check("x" * maximum) == "x" * maximum and check(" a ") == " a "
    for bad in ("", "   ", "\t\n", "x" * (maximum + 1)):
        with pytest.raises(InvalidInput) as refused:
            check(bad)
        assert (refused.value.field, refused.value.detail) == (
            field,
            f"{field} must be 1-{maximum} characters, not only blanks",
        )
    with pytest.raises(InvalidInput) as nul:
        check("a\x00b")
    assert nul.value.field == field and "NUL" in nul.value.detail
    with pytest.raises(InvalidInput):
        check(5)


def test_a_post_is_new_and_revised_with_the_same_rules() -> None:
    post = Post.new(title="T", content="C", author_id=3, now=T)
    assert (post.title, post.content, post.author_id, post.created_at, post.updated_at, post.id) == (
        "T",
        "C",
        3,
        T,
        T,
        None,
    )
    later = T + timedelta(seconds=1)
    assert not post.revise(later) and not post.revise(later, title="T", content="C")
    assert post.updated_at == T  # nothing changed: the ETag stays
    assert post.revise(later, content="D") and (post.title, post.content, post.updated_at) == (
        "T",
        "D",
        later,
    )
    assert post.revise(later + timedelta(1), title="U") and (post.title, post.content) == ("U", "D")
    with pytest.raises(InvalidInput) as refused:
        post.revise(later, title=" ")
    assert refused.value.field == "title" and post.title == "U"
    with pytest.raises(InvalidInput) as refused:
        post.revise(later, content="")
    assert refused.value.field == "content"
    with pytest.raises(InvalidInput):
        Post.new(title="", content="C", author_id=3, now=T)
    with pytest.raises(InvalidInput):
        Post.new(title="T", content="", author_id=3, now=T)


# --- domain: since -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2026-03-04", datetime(2026, 3, 4, tzinfo=UTC)),
        ("2026-03-04T05:06:07Z", datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)),
        ("2026-03-04t05:06:07z", datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)),
        ("2026-03-04T05:06:07+00:00", datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)),
        ("2026-03-04T05:06:07+02:30", datetime(2026, 3, 4, 2, 36, 7, tzinfo=UTC)),
        ("2026-03-04T05:06:07-01:15", datetime(2026, 3, 4, 6, 21, 7, tzinfo=UTC)),
        ("2026-03-04T23:59:59+23:59", datetime(2026, 3, 4, 0, 0, 59, tzinfo=UTC)),
        ("2026-03-04T00:00:00-23:59", datetime(2026, 3, 4, 23, 59, tzinfo=UTC)),
        ("2026-03-04T05:06:07.5Z", datetime(2026, 3, 4, 5, 6, 7, 500_000, tzinfo=UTC)),
        ("2026-03-04T05:06:07.000001Z", datetime(2026, 3, 4, 5, 6, 7, 1, tzinfo=UTC)),
        ("2026-03-04T05:06:07.1234569Z", datetime(2026, 3, 4, 5, 6, 7, 123_456, tzinfo=UTC)),
        ("2016-12-31T23:59:60Z", datetime(2017, 1, 1, tzinfo=UTC)),  # a leap second
        ("2024-02-29", datetime(2024, 2, 29, tzinfo=UTC)),
        ("0001-01-01T00:00:00+00:01", EARLIEST),  # before year 1 in UTC: the earliest instant
        ("0001-01-01T00:00:00-00:01", datetime(1, 1, 1, 0, 1, tzinfo=UTC)),
        ("9999-12-31T23:59:59-00:01", LATEST),  # after 9999 in UTC: the latest instant
        ("9999-12-31T23:59:60Z", LATEST),
        ("9999-12-31T23:59:59+00:01", datetime(9999, 12, 31, 23, 58, 59, tzinfo=UTC)),
    ],
)
def test_since_reads_rfc3339_date_times_and_dates_as_utc(text: str, instant: datetime) -> None:
    parsed = parse_since(text)
    assert parsed == instant and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-04T05:06:07",  # no offset: ambiguous
        "2026-03-04 05:06:07Z",
        "2026-02-29",
        "2026-13-01",
        "0000-01-01",
        "2026-3-4",
        "2026-03-04T24:00:00Z",
        "2026-03-04T05:60:00Z",
        "2026-03-04T05:06:61Z",
        "2026-03-04T05:06:07+24:00",
        "2026-03-04T05:06:07+01:60",
        "2026-03-04T05:06:07.Z",
        "2026-03-04T05:06Z",
        "2026-03-04T05:06:07+0100",
        " 2026-03-04",
        "2026-03-04\n",
        "1700000000",
        "",
        "\uff12\uff10\uff12\uff16-03-04",  # full-width digits,
    ],
)
def test_since_refuses_anything_else_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_since(text, "posted_since")
    assert (refused.value.field, refused.value.detail) == (
        "posted_since",
        f"posted_since must be {SINCE_RULE}",
    )
    with pytest.raises(InvalidInput) as default:
        parse_since(text)
    assert (default.value.field, default.value.detail) == ("since", f"since must be {SINCE_RULE}")


def test_post_etags_cover_id_time_and_author_name() -> None:
    etag = post_etag(1, T, "ann")
    assert etag == strong_etag("post", 1, T, "ann") and etag.startswith('"') and len(etag) == 22
    assert len({etag, post_etag(2, T, "ann"), post_etag(1, T + timedelta(microseconds=1), "ann")}) == 3
    assert post_etag(1, T, "bob") != etag and strong_etag("item", 1, T, "ann") != etag
    view = PostView(1, "t", "c", AuthorView(7, "ann"), T, T)
    assert view.etag == etag


# --- writes: authorisation and If-Match ---------------------------------------------------------------


async def test_create_stores_the_callers_post_and_reads_it_back(env: Env) -> None:
    ann = env.user("ann")
    view = await env.post(ann, "Title", "Body")
    stored = env.db.state.posts[view.id]
    assert (stored.title, stored.content, stored.author_id) == ("Title", "Body", ann.user_id)
    assert view.author == AuthorView(ann.user_id, "ann") and view.created_at == view.updated_at
    assert await env.blog.get_post()(view.id) == view
    with pytest.raises(NotFound) as missing:
        await env.blog.get_post()(999)
    assert missing.value.detail == "Post 999 not found"
    env.db.statements.clear()
    with pytest.raises(InvalidInput) as refused:
        await env.post(ann, "", "Body")
    assert refused.value.field == "title" and env.db.statements == []  # refused before any write


async def test_only_the_author_or_a_superuser_edits_and_unknown_is_404_first(env: Env) -> None:
    ann, bob, root = env.user("ann"), env.user("bob"), env.user("root", is_superuser=True)
    post = await env.post(ann)
    for action in (lambda a, i: env.patch(a, i, title="X"), lambda a, i: env.delete(a, i)):
        with pytest.raises(Forbidden) as refused:
            await action(bob, post.id)
        assert refused.value.detail == "Only the author or a superuser may change this post"
        with pytest.raises(NotFound) as missing:
            await action(bob, 999)
        assert missing.value.detail == "Post 999 not found"
    assert env.db.state.posts[post.id].title == "Hello"
    assert (await env.patch(ann, post.id, title="By ann")).title == "By ann"
    by_root = await env.patch(root, post.id, content="By root")
    assert (by_root.title, by_root.content, by_root.author.id) == ("By ann", "By root", ann.user_id)
    await env.delete(root, post.id)
    assert post.id not in env.db.state.posts
    other = await env.post(ann)
    await env.delete(ann, other.id)
    assert env.db.state.posts == {}


async def test_writes_lock_the_post_before_checking(env: Env) -> None:
    ann = env.user("ann")
    post = await env.post(ann)
    env.db.statements.clear()
    await env.patch(ann, post.id, title="New")
    assert env.db.statements[0] == Statement("posts.get", for_update=True)
    assert [s.name for s in env.db.statements] == ["posts.get", "posts.update", "commit"]
    env.db.statements.clear()
    await env.patch(ann, post.id, title="New")  # nothing changes: nothing written
    assert [s.name for s in env.db.statements] == ["posts.get", "commit"]


async def test_if_match_on_patch_and_delete(env: Env) -> None:
    ann = env.user("ann")
    post = await env.post(ann)
    fresh = await env.patch(ann, post.id, if_match=post.etag, title="Two")
    assert fresh.etag != post.etag and fresh.updated_at > post.updated_at
    for stale in (post.etag, f"W/{fresh.etag}", '"nope"'):
        with pytest.raises(PreconditionFailed) as refused:
            await env.patch(ann, post.id, if_match=stale, title="Three")
        assert refused.value.detail == "The post has changed since it was read (If-Match does not match)"
        with pytest.raises(PreconditionFailed):
            await env.delete(ann, post.id, if_match=stale)
    assert env.db.state.posts[post.id].title == "Two"
    assert (await env.patch(ann, post.id, if_match=f'"x", {fresh.etag}', title="Three")).title == "Three"
    env.db.statements.clear()
    assert (await env.patch(ann, post.id, if_match="*", title="Four")).title == "Four"
    assert "users.get" not in [s.name for s in env.db.statements]  # `*` needs no author name
    current = await env.blog.get_post()(post.id)
    await env.delete(ann, post.id, if_match=current.etag)
    assert post.id not in env.db.state.posts


async def test_the_etag_follows_the_authors_name(env: Env) -> None:
    ann = env.user("ann")
    post = await env.post(ann)
    env.db.state.users[ann.user_id].username = "anna"
    current = await env.blog.get_post()(post.id)
    assert current.etag != post.etag and current.author.username == "anna"
    with pytest.raises(PreconditionFailed):
        await env.patch(ann, post.id, if_match=post.etag, title="x")
    assert (await env.patch(ann, post.id, if_match=current.etag, title="x")).title == "x"


async def test_a_lost_race_reruns_the_whole_write(env: Env) -> None:
    ann = env.user("ann")
    post = await env.post(ann)
    env.db.fail("posts.update")
    assert (await env.patch(ann, post.id, title="Again")).title == "Again"
    assert [s.name for s in env.db.statements].count("posts.get") == 2  # two attempts
    env.db.fail("commit", times=3)
    with pytest.raises(TransientConflict):
        await env.post(ann, "Lost")
    assert [p.title for p in env.db.state.posts.values()] == ["Again"]


# --- reads ------------------------------------------------------------------------------------------


async def test_list_filters_sorts_and_cursors(env: Env) -> None:
    ann, bob = env.user("ann"), env.user("bob")
    made = []
    for i, (who, title) in enumerate([(ann, "Alpha"), (bob, "beta 50%"), (ann, "Gamma_1"), (bob, "Delta")]):
        env.clock.current = T + timedelta(days=i)
        made.append(await env.post(who, title))
    everything = await env.list(blog.ListPostsQuery())
    assert [p.title for p in everything.items] == ["Delta", "Gamma_1", "beta 50%", "Alpha"]
    assert everything.total == 4 and everything.next_cursor is None
    by_ann = await env.list(blog.ListPostsQuery(author_id=ann.user_id), sort="title")
    assert [p.title for p in by_ann.items] == ["Alpha", "Gamma_1"]
    since = await env.list(blog.ListPostsQuery(since=made[2].created_at))
    assert [p.title for p in since.items] == ["Delta", "Gamma_1"]  # created at or after
    assert (await env.list(blog.ListPostsQuery(q="TA"))).total == 2
    assert [p.title for p in (await env.list(blog.ListPostsQuery(q="%"))).items] == ["beta 50%"]
    assert [p.title for p in (await env.list(blog.ListPostsQuery(q="_"))).items] == ["Gamma_1"]
    first = await env.list(blog.ListPostsQuery(author_id=bob.user_id), limit=1)
    assert first.next_cursor and first.total == 2
    rest = await env.list(blog.ListPostsQuery(author_id=bob.user_id), limit=1, cursor=first.next_cursor)
    assert [p.title for p in first.items + rest.items] == ["Delta", "beta 50%"] and rest.next_cursor is None
    for other in (
        blog.ListPostsQuery(),
        blog.ListPostsQuery(author_id=ann.user_id),
        blog.ListPostsQuery(author_id=bob.user_id, since=T),
        blog.ListPostsQuery(author_id=bob.user_id, q="a"),
    ):
        with pytest.raises(BadRequest):
            await env.list(other, limit=1, cursor=first.next_cursor)
    with pytest.raises(BadRequest):
        await env.list(
            blog.ListPostsQuery(author_id=bob.user_id), sort="title", limit=1, cursor=first.next_cursor
        )
    with pytest.raises(InvalidInput) as refused:
        await env.list(blog.ListPostsQuery(), sort="author")
    assert refused.value.field == "sort"
    with pytest.raises(InvalidInput) as refused:
        await env.list(blog.ListPostsQuery(q="a\x00"))
    assert refused.value.field == "q"
    assert blog.POST_SORTS == ("created_at", "title")


async def test_a_since_cursor_is_bound_to_its_instant(env: Env) -> None:
    ann = env.user("ann")
    for i in range(3):
        env.clock.current = T + timedelta(hours=i)
        await env.post(ann, f"p{i}")
    query = blog.ListPostsQuery(since=T)
    first = await env.list(query, limit=1)
    assert first.total == 3 and first.next_cursor
    with pytest.raises(BadRequest):
        await env.list(
            blog.ListPostsQuery(since=T + timedelta(microseconds=1)), limit=1, cursor=first.next_cursor
        )
    assert len((await env.list(query, limit=5, cursor=first.next_cursor)).items) == 2


async def test_a_users_posts_need_a_live_user(env: Env) -> None:
    ann, bob = env.user("ann"), env.user("bob")
    await env.post(ann, "A1")
    await env.post(bob, "B1")
    page = await env.blog.list_user_posts()(ann.user_id, PageParams("-created_at"))
    assert [p.title for p in page.items] == ["A1"] and page.total == 1
    with pytest.raises(NotFound) as missing:
        await env.blog.list_user_posts()(999, PageParams("-created_at"))
    assert missing.value.detail == "User 999 not found"
    env.db.state.users[ann.user_id].is_deleted = True
    with pytest.raises(NotFound):
        await env.blog.list_user_posts()(ann.user_id, PageParams("-created_at"))


async def test_author_stats_having_boundary_order_and_limits(env: Env) -> None:
    ann, bob, cid, dan = env.user("ann"), env.user("bob"), env.user("cid"), env.user("dan")
    for who, n in ((ann, 5), (bob, 6), (cid, 6), (dan, 7)):
        for i in range(n):
            await env.post(who, f"{i}")
    stats = env.blog.author_stats()
    assert blog.DEFAULT_MIN_POSTS == 5 and blog.DEFAULT_AUTHORS == 20
    assert await stats() == [  # exactly 5 posts is not more than 5
        AuthorStatsView(dan.user_id, "dan", 7),
        AuthorStatsView(bob.user_id, "bob", 6),
        AuthorStatsView(cid.user_id, "cid", 6),
    ]
    assert [a.username for a in await stats(4)] == ["dan", "bob", "cid", "ann"]
    assert [a.username for a in await stats(6)] == ["dan"] and await stats(7) == []
    assert [a.username for a in await stats(0, 2)] == ["dan", "bob"]
    assert len(await stats(0, 100)) == 4 and len(await stats(0, 1)) == 1
    env.db.state.users[dan.user_id].is_deleted = True
    assert [a.username for a in await stats()] == ["bob", "cid"]
    for bad, field in (((-1, 20), "min_posts"), ((5, 0), "limit"), ((5, 101), "limit")):
        with pytest.raises(InvalidInput) as refused:
            await stats(*bad)
        assert refused.value.field == field
    with pytest.raises(InvalidInput) as refused:
        await stats(-1)
    assert refused.value.detail == "min_posts must be 0 or more"
    with pytest.raises(InvalidInput) as refused:
        await stats(5, 101)
    assert refused.value.detail == "limit must be between 1 and 100"


# --- identity: posted_since, hard delete -------------------------------------------------------------


async def test_users_posted_since_combines_with_filters_and_binds_cursors(env: Env) -> None:
    root = env.user("root", is_superuser=True)
    ann, bob, cid = env.user("ann"), env.user("bob"), env.user("cid", is_active=False)
    for i, who in enumerate((ann, bob, cid)):
        env.clock.current = T + timedelta(days=i)
        await env.post(who)
    list_users = env.identity.list_users()
    since = T + timedelta(days=1)
    page = await list_users(root, UserFilter(posted_since=since), PageParams("username"))
    assert [u.username for u in page.items] == ["bob", "cid"] and page.total == 2
    active = await list_users(root, UserFilter(posted_since=since, is_active=True), PageParams("username"))
    assert [u.username for u in active.items] == ["bob"]
    assert [
        u.username for u in (await list_users(root, UserFilter(posted_since=T), PageParams("username"))).items
    ] == [
        "ann",
        "bob",
        "cid",
    ]
    first = await list_users(root, UserFilter(posted_since=T), PageParams("username", limit=1))
    assert first.next_cursor
    with pytest.raises(BadRequest):
        await list_users(
            root, UserFilter(posted_since=since), PageParams("username", limit=1, cursor=first.next_cursor)
        )
    with pytest.raises(BadRequest):
        await list_users(root, UserFilter(), PageParams("username", limit=1, cursor=first.next_cursor))
    rest = await list_users(
        root, UserFilter(posted_since=T), PageParams("username", limit=5, cursor=first.next_cursor)
    )
    assert [u.username for u in rest.items] == ["bob", "cid"]
    with pytest.raises(Forbidden):
        await list_users(ann, UserFilter(posted_since=T), PageParams("username"))


async def test_hard_deleting_a_user_deletes_their_posts(env: Env) -> None:
    root, ann, bob = env.user("root", is_superuser=True), env.user("ann"), env.user("bob")
    gone = await env.post(ann)
    kept = await env.post(bob)
    await env.identity.delete_user()(root, ann.user_id)  # soft: the posts stay
    assert gone.id in env.db.state.posts
    await env.identity.delete_user()(root, ann.user_id, hard=True)
    assert list(env.db.state.posts) == [kept.id]


async def test_a_post_deleted_right_after_the_write_is_404(env: Env) -> None:
    class Vanishing(FakePostQueries):
        async def get(self, post_id: int) -> PostView | None:
            return None

    env.container.blog.primary_queries.override(providers.Object(Vanishing(env.db)))
    ann = env.user("ann")
    with pytest.raises(NotFound) as missing:
        await env.post(ann)
    assert missing.value.detail == "Post 1 not found" and 1 in env.db.state.posts
    with pytest.raises(NotFound) as missing:
        await env.patch(ann, 1, title="x")
    assert missing.value.detail == "Post 1 not found"


async def test_a_post_cursor_is_no_user_list_cursor(env: Env) -> None:
    """Both lists sort by created_at and may have no filter: the posts' scope is labelled."""
    root = env.user("root", is_superuser=True)
    for name in ("ann", "bob"):
        await env.post(env.user(name))
    posts = await env.blog.list_posts()(blog.ListPostsQuery(), PageParams("created_at", limit=1))
    assert posts.next_cursor
    with pytest.raises(BadRequest):
        await env.identity.list_users()(
            root, UserFilter(), PageParams("created_at", limit=1, cursor=posts.next_cursor)
        )
