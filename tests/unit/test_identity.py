"""Identity use cases against the in-memory fakes: rules, authorisation, throttling."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest

from application import identity
from application.common import Actor
from application.identity.views import UserFilter
from application.pagination import PageParams
from domain.catalog import Item
from domain.errors import (
    AlreadyExists,
    BadRequest,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    Unauthorized,
)
from domain.identity import Profile
from domain.text import is_storable
from tests.fakes.container import Fakes
from tests.fakes.security import FakeHasher


class World(Fakes):
    """The container on fakes, with helpers for identity's use cases."""

    @property
    def sign_up(self) -> identity.SignUp:
        return self.identity.sign_up()

    @property
    def login(self) -> identity.IssueToken:
        return self.identity.issue_token()

    async def user(self, name: str, *, superuser: bool = False, password: str = "password-1") -> Actor:
        view = await self.sign_up(
            identity.SignUpCommand(f"{name}@example.com", name, password), is_superuser=superuser
        )
        return Actor(view.id, view.is_superuser)


@pytest.fixture
def world() -> World:
    return World()


# --- sign-up ---------------------------------------------------------------------------------------


async def test_sign_up_normalises_email_and_hashes_password(world: World) -> None:
    view = await world.sign_up(identity.SignUpCommand("Ann@Example.COM", "Ann.B", "password-1", "Ann B"))
    assert (view.email, view.username, view.full_name) == ("ann@example.com", "Ann.B", "Ann B")
    stored = world.db.state.users[view.id]
    assert stored.password_hash == "v1$password-1" and not view.is_superuser and view.is_active


@pytest.mark.parametrize(
    ("email", "username", "field"),
    [("ANN@example.com", "other", "email"), ("other@example.com", "aNN", "username")],
)
async def test_sign_up_rejects_taken_email_or_username_case_insensitively(
    world: World, email: str, username: str, field: str
) -> None:
    await world.sign_up(identity.SignUpCommand("ann@example.com", "ann", "password-1"))
    with pytest.raises(AlreadyExists) as caught:
        await world.sign_up(identity.SignUpCommand(email, username, "password-1"))
    assert caught.value.field == field
    assert len(world.db.state.users) == 1


@pytest.mark.parametrize(
    ("username", "password"), [("ab", "password-1"), ("bad name", "password-1"), ("ok", "short")]
)
async def test_sign_up_validates_username_and_password(world: World, username: str, password: str) -> None:
    with pytest.raises(InvalidInput):
        await world.sign_up(identity.SignUpCommand("x@example.com", username, password))
    assert world.db.state.users == {}


# --- login -------------------------------------------------------------------------------------------


async def test_login_by_username_or_email_any_case(world: World) -> None:
    actor = await world.user("ann")
    for login in ("ann", "ANN", "Ann@Example.com"):
        token = await world.login(login, "password-1")
        assert world.tokens.claims(token.access_token).user_id == actor.user_id
        assert token.token_type == "bearer" and token.expires_in == 3600


async def test_unknown_user_and_wrong_password_fail_alike_and_unknown_still_checks_a_hash(
    world: World,
) -> None:
    await world.user("ann")
    with pytest.raises(Unauthorized) as wrong_password:
        await world.login("ann", "nope-nope")
    with pytest.raises(Unauthorized) as unknown:
        await world.login("bob", "nope-nope")
    assert wrong_password.value.detail == unknown.value.detail
    assert world.hasher.unknown_user_checks == 1


async def test_inactive_and_deleted_users_cannot_log_in(world: World) -> None:
    admin = await world.user("root", superuser=True)
    ann, bob = await world.user("ann"), await world.user("bob")
    await world.identity.update_user()(admin, ann.user_id, identity.UpdateUserCommand(is_active=False))
    await world.identity.delete_user()(bob, bob.user_id)
    for name in ("ann", "bob"):
        with pytest.raises(Forbidden):
            await world.login(name, "password-1")


async def test_sixth_guess_from_one_client_is_throttled_for_the_window_then_allowed(world: World) -> None:
    await world.user("ann")
    for _ in range(5):
        with pytest.raises(Unauthorized):
            await world.login("ann", "wrong-password", "10.0.0.1")
    with pytest.raises(RateLimited) as limited:
        await world.login("ANN", "password-1", "10.0.0.1")  # even the right password, any case
    assert limited.value.retry_after == 15 * 60  # the window opened at the first guess
    assert world.db.refused_logins == 5  # five guesses were evaluated, the sixth was not
    world.clock.advance(minutes=14)
    with pytest.raises(RateLimited) as later:
        await world.login("ann", "password-1", "10.0.0.1")
    assert 55 <= later.value.retry_after <= 60
    world.clock.advance(minutes=1, seconds=1)
    assert (await world.login("ann", "password-1", "10.0.0.1")).access_token


async def test_every_spelling_of_a_login_is_one_account(world: World) -> None:
    await world.user("ann")
    for login in ("ann", "ANN", "ann@example.com", " Ann@Example.com ", "ann"):
        with pytest.raises(Unauthorized):
            await world.login(login, "wrong-password", "10.0.0.1")
    with pytest.raises(RateLimited):
        await world.login("ann@example.com", "password-1", "10.0.0.1")


async def test_one_client_cannot_lock_the_owner_out_from_elsewhere(world: World) -> None:
    await world.user("ann")
    for _ in range(5):
        with pytest.raises(Unauthorized):
            await world.login("ann", "wrong-password", "203.0.113.9")
    with pytest.raises(RateLimited):
        await world.login("ann", "wrong-password", "203.0.113.9")
    assert await world.login("ann", "password-1", "10.0.0.1")  # the owner, elsewhere


async def test_the_account_ceiling_holds_across_addresses(world: World) -> None:
    await world.user("ann")
    for n in range(identity.LOGIN_MAX_PER_ACCOUNT):
        with pytest.raises(Unauthorized):
            await world.login("ann", "wrong-password", f"198.51.100.{n // 5}")
    with pytest.raises(RateLimited):
        await world.login("ann", "password-1", "10.9.9.9")  # a fresh address: over the ceiling
    assert world.db.refused_logins == identity.LOGIN_MAX_PER_ACCOUNT


async def test_unknown_logins_are_throttled_the_same_way(world: World) -> None:
    await world.user("ann")
    details = set()
    for login in ("nobody", "nobody", "NOBODY", "nobody", "nobody"):
        with pytest.raises(Unauthorized) as refused:
            await world.login(login, "whatever-1", "10.0.0.1")
        details.add(refused.value.detail)
    with pytest.raises(RateLimited):
        await world.login("nobody", "whatever-1", "10.0.0.1")
    assert details == {"Incorrect username or password"}
    assert world.hasher.unknown_user_checks == 5


@pytest.mark.parametrize("login", ["x" * 256, "ann\x00", "\udc00", "", "   "])
async def test_malformed_logins_are_plain_401s(world: World, login: str) -> None:
    await world.user("ann")
    with pytest.raises(Unauthorized):
        await world.login(login, "password-1")
    assert world.hasher.unknown_user_checks == 1


async def test_success_clears_the_clients_count(world: World) -> None:
    await world.user("ann")
    for _ in range(4):
        with pytest.raises(Unauthorized):
            await world.login("ann", "wrong-password")
    await world.login("ann", "password-1")
    assert world.db.state.login_throttles == {}
    for _ in range(5):
        with pytest.raises(Unauthorized):
            await world.login("ann", "wrong-password")
    with pytest.raises(RateLimited):
        await world.login("ann", "password-1")


async def test_ended_windows_are_purged(world: World) -> None:
    await world.user("ann")
    with pytest.raises(Unauthorized):
        await world.login("ann", "wrong-password", "10.0.0.1")
    assert len(world.db.state.login_throttles) == 2  # the account, and the account with the client
    world.clock.advance(minutes=16)
    with pytest.raises(Unauthorized):
        await world.login("bob", "wrong-password", "10.0.0.2")  # the next login purges
    assert len(world.db.state.login_throttles) == 2 and all(
        key.startswith("login:") for key in world.db.state.login_throttles
    )
    world.clock.advance(minutes=16)
    assert await world.identity.purge_login_throttle()() == 2
    assert world.db.state.login_throttles == {}


async def test_login_rehashes_outdated_hash(world: World) -> None:
    actor = await world.user("ann")
    world.hasher.version = 2
    await world.login("ann", "password-1")
    assert world.db.state.users[actor.user_id].password_hash == "v2$password-1"


# --- authenticate ---------------------------------------------------------------------------------


async def test_authenticate(world: World) -> None:
    actor = await world.user("ann")
    auth = world.identity.authenticate()
    assert (await auth(world.tokens.issue(actor.user_id, 0))).id == actor.user_id
    with pytest.raises(Unauthorized):
        await auth("garbage")
    with pytest.raises(Unauthorized):
        await auth(world.tokens.issue(999, 0))
    with pytest.raises(Unauthorized):  # a version the user never had
        await auth(world.tokens.issue(actor.user_id, 7))
    await world.identity.delete_user()(actor, actor.user_id)
    for version in (0, 1):
        with pytest.raises(Unauthorized):
            await auth(world.tokens.issue(actor.user_id, version))


async def test_a_password_change_revokes_earlier_tokens(world: World) -> None:
    ann = await world.user("ann")
    old = (await world.login("ann", "password-1")).access_token
    auth = world.identity.authenticate()
    assert (await auth(old)).id == ann.user_id
    await world.identity.update_me()(
        ann, identity.UpdateUserCommand(password="password-2", current_password="password-1")
    )
    with pytest.raises(Unauthorized):
        await auth(old)
    new = (await world.login("ann", "password-2")).access_token
    assert (await auth(new)).id == ann.user_id
    await world.identity.update_me()(ann, identity.UpdateUserCommand(full_name="Ann"))  # not a revocation
    assert (await auth(new)).id == ann.user_id


async def test_deactivating_revokes_tokens_for_good(world: World) -> None:
    admin, ann = await world.user("root", superuser=True), await world.user("ann")
    token = (await world.login("ann", "password-1")).access_token
    update = world.identity.update_user()
    await update(admin, ann.user_id, identity.UpdateUserCommand(is_active=False))
    await update(admin, ann.user_id, identity.UpdateUserCommand(is_active=True))
    with pytest.raises(Unauthorized):
        await world.identity.authenticate()(token)
    assert await world.login("ann", "password-1")


async def test_authenticate_inactive_is_forbidden(world: World) -> None:
    admin, ann = await world.user("root", superuser=True), await world.user("ann")
    await world.identity.update_user()(admin, ann.user_id, identity.UpdateUserCommand(is_active=False))
    with pytest.raises(Forbidden):  # a token of the current version, of an inactive account
        await world.identity.authenticate()(world.tokens.issue(ann.user_id, 1))


# --- self service --------------------------------------------------------------------------------


async def test_update_me_plain_fields_without_password(world: World) -> None:
    ann = await world.user("ann")
    before = world.db.state.users[ann.user_id].updated_at
    view = await world.identity.update_me()(
        ann, identity.UpdateUserCommand(full_name="Ann B", username="ann_b")
    )
    assert (view.full_name, view.username) == ("Ann B", "ann_b")
    assert before is not None and view.updated_at > before


@pytest.mark.parametrize(
    "cmd",
    [
        identity.UpdateUserCommand(email="new@example.com"),
        identity.UpdateUserCommand(password="new-password"),
        identity.UpdateUserCommand(password="new-password", current_password="wrong-one"),
    ],
)
async def test_email_or_password_change_needs_current_password(
    world: World, cmd: identity.UpdateUserCommand
) -> None:
    ann = await world.user("ann")
    with pytest.raises(Forbidden):
        await world.identity.update_me()(ann, cmd)
    assert world.db.state.users[ann.user_id].email == "ann@example.com"


async def test_password_change_with_current_password(world: World) -> None:
    ann = await world.user("ann")
    await world.identity.update_me()(
        ann, identity.UpdateUserCommand(password="new-password", current_password="password-1")
    )
    assert await world.login("ann", "new-password")


async def test_update_me_cannot_set_admin_flags(world: World) -> None:
    ann = await world.user("ann")
    view = await world.identity.update_me()(
        ann, identity.UpdateUserCommand(is_superuser=True, is_active=False)
    )
    assert not view.is_superuser and view.is_active


async def test_update_me_to_taken_username_conflicts(world: World) -> None:
    ann = await world.user("ann")
    await world.user("bob")
    with pytest.raises(AlreadyExists):
        await world.identity.update_me()(ann, identity.UpdateUserCommand(username="BOB"))


async def test_replace_profile_creates_then_replaces(world: World) -> None:
    ann = await world.user("ann")
    replace = world.identity.replace_profile()
    view = await replace(ann, Profile(bio="hi", avatar_url="https://x.io/a.png"))
    assert view.profile is not None and view.profile.bio == "hi"
    view = await replace(ann, Profile(bio=None, avatar_url=None))
    assert view.profile is not None and view.profile.bio is None and view.profile.avatar_url is None


async def test_soft_delete_self(world: World) -> None:
    ann = await world.user("ann")
    await world.identity.delete_user()(ann, ann.user_id)
    stored = world.db.state.users[ann.user_id]
    assert stored.is_deleted and stored.deleted_at is not None and not stored.is_active
    with pytest.raises(NotFound):
        await world.identity.get_user()(ann.user_id)


# --- superuser administration -------------------------------------------------------------------


async def test_plain_users_are_forbidden_admin_use_cases(world: World) -> None:
    ann, bob = await world.user("ann"), await world.user("bob")
    with pytest.raises(Forbidden):
        await world.identity.list_users()(ann, UserFilter(), PageParams("created_at"))
    with pytest.raises(Forbidden):
        await world.identity.update_user()(ann, bob.user_id, identity.UpdateUserCommand(is_superuser=True))
    with pytest.raises(Forbidden):
        await world.identity.delete_user()(ann, bob.user_id)
    with pytest.raises(Forbidden):
        await world.identity.delete_user()(ann, ann.user_id, hard=True)
    with pytest.raises(Forbidden):
        await world.identity.activate_users()(ann, [bob.user_id])
    assert not world.db.state.users[bob.user_id].is_superuser


async def test_admin_update_sets_flags_without_current_password(world: World) -> None:
    admin, ann = await world.user("root", superuser=True), await world.user("ann")
    view = await world.identity.update_user()(
        admin, ann.user_id, identity.UpdateUserCommand(is_superuser=True, email="ann2@example.com")
    )
    assert view.is_superuser and view.email == "ann2@example.com"


async def test_admin_update_unknown_user(world: World) -> None:
    admin = await world.user("root", superuser=True)
    with pytest.raises(NotFound):
        await world.identity.update_user()(admin, 999, identity.UpdateUserCommand())


async def test_hard_delete_removes_the_user(world: World) -> None:
    admin, ann = await world.user("root", superuser=True), await world.user("ann")
    await world.identity.delete_user()(admin, ann.user_id, hard=True)
    assert ann.user_id not in world.db.state.users
    with pytest.raises(NotFound):
        await world.identity.delete_user()(admin, ann.user_id, hard=True)


async def test_bulk_activate_counts_only_changed_live_users(world: World) -> None:
    admin = await world.user("root", superuser=True)
    users = [await world.user(f"usr{i}") for i in range(4)]
    update = world.identity.update_user()
    for actor in users[:3]:
        await update(admin, actor.user_id, identity.UpdateUserCommand(is_active=False))
    await world.identity.delete_user()(admin, users[2].user_id)
    ids = [u.user_id for u in users] + [999]
    assert await world.identity.activate_users()(admin, ids) == 2
    with pytest.raises(InvalidInput):
        await world.identity.activate_users()(admin, list(range(1, 1002)))


async def test_list_users_filters_sorts_and_walks_cursor(world: World) -> None:
    admin = await world.user("root", superuser=True)
    for i in range(7):
        await world.user(f"user{i}")
    list_users = world.identity.list_users()
    page = await list_users(admin, UserFilter(q="USER"), PageParams("-username", limit=3))
    seen = [u.username for u in page.items]
    for _ in range(5):  # bounded: a cursor that never advances fails here instead of hanging
        if not page.next_cursor:
            break
        page = await list_users(
            admin, UserFilter(q="USER"), PageParams("-username", limit=3, cursor=page.next_cursor)
        )
        seen += [u.username for u in page.items]
    assert seen == [f"user{i}" for i in range(6, -1, -1)]
    assert page.total == 7
    first = await list_users(admin, UserFilter(q="user"), PageParams("created_at", limit=3))
    assert first.next_cursor
    with pytest.raises(BadRequest):  # a cursor is bound to its filter
        await list_users(
            admin, UserFilter(q="other"), PageParams("created_at", limit=3, cursor=first.next_cursor)
        )
    with pytest.raises(InvalidInput):
        await list_users(admin, UserFilter(), PageParams("password_hash"))


async def test_create_superuser_creates_then_promotes(world: World) -> None:
    create = world.identity.create_superuser()
    view, created = await create(identity.SignUpCommand("root@example.com", "root", "password-1"))
    assert created and view.is_superuser
    ann = await world.user("ann")
    view, created = await create(identity.SignUpCommand("ANN@example.com", "ignored", "ignored-pw"))
    assert not created and view.is_superuser and view.id == ann.user_id


async def test_user_stats(world: World) -> None:
    admin = await world.user("root", superuser=True)
    ann, _ = await world.user("ann"), await world.user("bob")
    carl = await world.user("carl")
    await world.identity.update_user()(admin, ann.user_id, identity.UpdateUserCommand(is_active=False))
    await world.identity.delete_user()(carl, carl.user_id)
    stats = await world.identity.user_stats()()
    assert (stats.total_users, stats.active_users) == (3, 2)


# --- sign-up: bounds and what is stored -----------------------------------------------------------


@pytest.mark.parametrize("password", ["x" * 8, "x" * 128])
async def test_sign_up_accepts_passwords_of_8_to_128_characters(world: World, password: str) -> None:
    view = await world.sign_up(identity.SignUpCommand("ann@example.com", "ann", password))
    assert world.db.state.users[view.id].password_hash == f"v1${password}"


@pytest.mark.parametrize(
    ("username", "password", "detail", "field"),
    [
        ("ann", "x" * 7, "password must be 8-128 characters", "password"),
        ("ann", "x" * 129, "password must be 8-128 characters", "password"),
        ("an", "password-1", "username must be 3-50 characters of A-Z, a-z, 0-9, _ . -", "username"),
        ("a" * 51, "password-1", "username must be 3-50 characters of A-Z, a-z, 0-9, _ . -", "username"),
    ],
)
async def test_sign_up_refusals_name_the_field(
    world: World, username: str, password: str, detail: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await world.sign_up(identity.SignUpCommand("ann@example.com", username, password))
    assert (refused.value.detail, refused.value.field) == (detail, field)
    assert world.db.state.users == {}


async def test_sign_up_stores_the_canonical_user(world: World) -> None:
    view = await world.sign_up(
        identity.SignUpCommand(" Ann@Example.COM", "a" * 50, "password-1", "Ann B"), is_superuser=True
    )
    stored = world.db.state.users[view.id]
    assert (stored.email, stored.username, stored.full_name) == ("ann@example.com", "a" * 50, "Ann B")
    assert (stored.is_superuser, stored.is_active, stored.is_deleted, stored.token_version) == (
        True,
        True,
        False,
        0,
    )
    assert stored.created_at == stored.updated_at == view.created_at == view.updated_at


# --- login: keys, bounds, messages, races ----------------------------------------------------------


def lookups(world: World) -> int:
    return sum(s.name == "users.get_by_login" for s in world.db.statements)


async def test_a_login_is_counted_under_the_account_and_the_account_with_the_client(world: World) -> None:
    ann = await world.user("ann")
    with pytest.raises(Unauthorized) as refused:
        await world.login("ann", "wrong-password")  # no client address given
    assert refused.value.detail == "Incorrect username or password"
    account = f"user:{ann.user_id}"
    assert set(world.db.state.login_throttles) == {f"{account}|unknown", account}
    with pytest.raises(Unauthorized):
        await world.login("ann", "wrong-password", "2001:db8::1" + "f" * 60)  # at most 45 characters kept
    assert f"{account}|2001:db8::1" + "f" * 34 in world.db.state.login_throttles


async def test_an_unknown_login_of_any_length_is_a_fixed_size_key(world: World) -> None:
    for login in ("nobody", "n" * 300, "ann\x00"):
        world.db.reset()
        with pytest.raises(Unauthorized):
            await world.login(login, "whatever-1", "10.0.0.1")
        keys = sorted(world.db.state.login_throttles)
        assert len(keys) == 2 and re.fullmatch(r"login:[0-9a-f]{40}", keys[0])
        assert keys[1] == keys[0] + "|10.0.0.1"


async def test_login_names_of_1_to_255_storable_characters_are_looked_up(world: World) -> None:
    email = "a" * 243 + "@example.com"
    assert len(email) == 255
    await world.sign_up(identity.SignUpCommand(email, "ann", "password-1"))
    assert (await world.login(email, "password-1")).access_token
    assert lookups(world) == 1
    with pytest.raises(Unauthorized):
        await world.login("x", "password-1")
    assert lookups(world) == 2
    for malformed in ("", "   ", "x" + email, "ann\x00", "\udc00"):
        with pytest.raises(Unauthorized):
            await world.login(malformed, "password-1")
    assert lookups(world) == 2  # never sent to the store (PostgreSQL refuses NUL, the column 255)


async def test_retry_after_is_the_rest_of_the_window_and_at_least_one_second(world: World) -> None:
    ann = await world.user("ann")
    for _ in range(5):
        with pytest.raises(Unauthorized):
            await world.login("ann", "wrong-password", "10.0.0.1")
    _, started = world.db.state.login_throttles[f"user:{ann.user_id}|10.0.0.1"]
    world.clock.current = started + timedelta(minutes=15, seconds=-90)
    with pytest.raises(RateLimited) as limited:
        await world.login("ann", "wrong-password", "10.0.0.1")
    assert (limited.value.detail, limited.value.retry_after) == (
        "Too many failed logins; try again later",
        90,
    )
    world.clock.current = started + timedelta(minutes=15, milliseconds=-400)
    with pytest.raises(RateLimited) as last_moment:
        await world.login("ann", "wrong-password", "10.0.0.1")
    assert last_moment.value.retry_after == 1
    world.clock.current = started + timedelta(minutes=15, microseconds=1)
    with pytest.raises(Unauthorized):  # a new window
        await world.login("ann", "wrong-password", "10.0.0.1")


async def test_an_inactive_account_with_the_right_password_is_forbidden(world: World) -> None:
    admin, ann = await world.user("root", superuser=True), await world.user("ann")
    await world.identity.update_user()(admin, ann.user_id, identity.UpdateUserCommand(is_active=False))
    with pytest.raises(Forbidden) as refused:
        await world.login("ann", "password-1")
    assert refused.value.detail == "This account is inactive"


async def test_a_login_that_rehashes_stamps_the_stored_user(world: World) -> None:
    actor = await world.user("ann")
    before = world.db.state.users[actor.user_id].updated_at
    world.hasher.version = 2
    await world.login("ann", "password-1")
    stored = world.db.state.users[actor.user_id]
    assert stored.password_hash == "v2$password-1"
    assert before is not None and stored.updated_at is not None and stored.updated_at > before
    assert stored.token_version == 0  # the same password: no token is revoked


class RacingHasher(FakeHasher):
    """Runs ``during`` while a password is being checked (the slow step between transactions),
    and records what it was asked to check."""

    def __init__(self) -> None:
        super().__init__()
        self.during: Callable[[], None] = lambda: None
        self.checked: list[object] = []

    async def verify(self, password: str, password_hash: str | None) -> tuple[bool, str | None]:
        self.checked.append(password)
        self.during()
        return await super().verify(password, password_hash)


async def test_a_user_deleted_while_the_password_is_checked_gets_a_plain_401() -> None:
    world = World(hasher=RacingHasher())
    ann = await world.user("ann")
    assert isinstance(world.hasher, RacingHasher)

    def hard_delete_ann() -> None:  # another request commits this while the hash is checked
        del world.db.state.users[ann.user_id]

    world.hasher.during = hard_delete_ann
    with pytest.raises(Unauthorized) as refused:
        await world.login("ann", "password-1")
    assert refused.value.detail == "Incorrect username or password"


@pytest.mark.parametrize("password", ["pass\x00word-1", "pass\udc00word"])
async def test_a_password_no_store_can_hold_is_checked_as_a_storable_stand_in(password: str) -> None:
    world = World(hasher=RacingHasher())
    await world.user("ann")
    with pytest.raises(Unauthorized):
        await world.login("ann", password)
    assert isinstance(world.hasher, RacingHasher)
    checked = world.hasher.checked[-1]
    assert isinstance(checked, str) and is_storable(checked) and checked != password


async def test_ended_windows_are_purged_at_most_once_a_minute(world: World) -> None:
    def purges() -> int:
        return sum(s.name == "login_throttle.purge" for s in world.db.statements)

    await world.user("ann")
    with pytest.raises(Unauthorized):
        await world.login("ann", "wrong-password", "10.0.0.1")
    assert purges() == 1
    first = min(started for _, started in world.db.state.login_throttles.values())
    world.clock.advance(seconds=30)
    with pytest.raises(Unauthorized):
        await world.login("ann", "wrong-password", "10.0.0.2")
    assert purges() == 1
    world.clock.current = first + timedelta(minutes=1, microseconds=-1)  # the next login: exactly a minute on
    with pytest.raises(Unauthorized):
        await world.login("ann", "wrong-password", "10.0.0.3")
    assert purges() == 2


async def test_purge_keeps_windows_that_have_not_ended(world: World) -> None:
    await world.user("ann")
    with pytest.raises(Unauthorized):
        await world.login("ann", "wrong-password", "10.0.0.1")
    world.clock.advance(minutes=10)
    with pytest.raises(Unauthorized):
        await world.login("bob", "wrong-password", "10.0.0.2")
    world.clock.advance(minutes=6)  # ann's window (16 min old) ended, bob's (6 min old) did not
    assert await world.identity.purge_login_throttle()() == 2
    assert len(world.db.state.login_throttles) == 2
    assert all(key.startswith("login:") for key in world.db.state.login_throttles)


# --- authenticate: messages ----------------------------------------------------------------------


async def test_authenticate_says_why_it_refuses(world: World) -> None:
    admin, ann = await world.user("root", superuser=True), await world.user("ann")
    auth = world.identity.authenticate()
    for token in (world.tokens.issue(999, 0), world.tokens.issue(ann.user_id, 5)):
        with pytest.raises(Unauthorized) as refused:
            await auth(token)
        assert refused.value.detail == "Could not validate credentials"
    await world.identity.update_user()(admin, ann.user_id, identity.UpdateUserCommand(is_active=False))
    with pytest.raises(Forbidden) as inactive:
        await auth(world.tokens.issue(ann.user_id, 1))
    assert inactive.value.detail == "This account is inactive"


# --- self service and administration: stored state ----------------------------------------------


async def test_update_me_is_stored_and_says_what_it_needs(world: World) -> None:
    ann = await world.user("ann")
    await world.identity.update_me()(ann, identity.UpdateUserCommand(full_name="Ann B", username="ann_b"))
    stored = world.db.state.users[ann.user_id]
    assert (stored.full_name, stored.username) == ("Ann B", "ann_b")
    with pytest.raises(Forbidden) as refused:
        await world.identity.update_me()(ann, identity.UpdateUserCommand(email="new@example.com"))
    assert refused.value.detail == "Changing email or password requires the correct current_password"
    await world.identity.update_me()(
        ann, identity.UpdateUserCommand(email=" ANN@example.com ")
    )  # the same email
    with pytest.raises(InvalidInput) as short:
        await world.identity.update_me()(
            ann, identity.UpdateUserCommand(password="short", current_password="password-1")
        )
    assert short.value.field == "password"
    assert world.db.state.users[ann.user_id].password_hash == "v1$password-1"


async def test_a_plain_user_can_never_grant_themselves_admin_flags(world: World) -> None:
    ann = await world.user("ann")
    await world.identity.update_me()(ann, identity.UpdateUserCommand(is_superuser=True, is_active=False))
    stored = world.db.state.users[ann.user_id]
    assert (stored.is_superuser, stored.is_active) == (False, True)


async def test_admin_update_is_stored_and_unknown_or_deleted_users_are_named(world: World) -> None:
    admin, ann, bob = (
        await world.user("root", superuser=True),
        await world.user("ann"),
        await world.user("bob"),
    )
    update = world.identity.update_user()
    await update(admin, ann.user_id, identity.UpdateUserCommand(is_superuser=True, password="password-9"))
    stored = world.db.state.users[ann.user_id]
    assert (stored.is_superuser, stored.password_hash, stored.token_version) == (True, "v1$password-9", 1)
    await world.identity.delete_user()(bob, bob.user_id)
    for user_id in (999, bob.user_id):
        with pytest.raises(NotFound) as missing:
            await update(admin, user_id, identity.UpdateUserCommand(full_name="x"))
        assert missing.value.detail == f"User {user_id} not found"
    with pytest.raises(Forbidden) as refused:
        await update(ann, bob.user_id, identity.UpdateUserCommand())
    assert refused.value.detail == "Superuser privileges required"


async def test_replace_profile_is_stored_and_stamped(world: World) -> None:
    ann = await world.user("ann")
    before = world.db.state.users[ann.user_id].updated_at
    view = await world.identity.replace_profile()(ann, Profile(bio="hi", avatar_url="https://x.io/a.png"))
    stored = world.db.state.users[ann.user_id]
    assert stored.profile == Profile(bio="hi", avatar_url="https://x.io/a.png")
    assert view.profile is not None and view.profile.avatar_url == "https://x.io/a.png"
    assert before is not None and stored.updated_at == view.updated_at and view.updated_at > before
    world.db.statements.clear()
    await world.identity.replace_profile()(ann, Profile(bio="hi", avatar_url="https://x.io/a.png"))
    assert "users.update" not in [s.name for s in world.db.statements]  # nothing changed
    await world.identity.delete_user()(ann, ann.user_id)
    with pytest.raises(NotFound) as gone:
        await world.identity.replace_profile()(ann, Profile(bio="back"))
    assert gone.value.detail == f"User {ann.user_id} not found"


async def test_soft_delete_stamps_the_user_and_deactivates_their_items_at_the_same_instant(
    world: World,
) -> None:
    ann = await world.user("ann")
    now = world.clock.now()
    for n, active in enumerate((True, True, False)):
        world.db.state.items[n + 1] = Item.new(
            title=f"t{n}", price="1", owner_id=ann.user_id, now=now, is_active=active
        )
        world.db.state.items[n + 1].id = n + 1
    await world.identity.delete_user()(ann, ann.user_id)
    stored = world.db.state.users[ann.user_id]
    assert stored.deleted_at is not None and stored.updated_at == stored.deleted_at
    items = world.db.state.items
    assert [i.is_active for i in items.values()] == [False, False, False]
    assert [i.updated_at for i in items.values()] == [stored.deleted_at, stored.deleted_at, now]


async def test_a_soft_deleted_user_is_gone_for_a_second_soft_delete_but_can_be_hard_deleted(
    world: World,
) -> None:
    admin, ann = await world.user("root", superuser=True), await world.user("ann")
    delete = world.identity.delete_user()
    await delete(ann, ann.user_id)
    with pytest.raises(NotFound) as again:
        await delete(admin, ann.user_id)
    assert again.value.detail == f"User {ann.user_id} not found"
    await delete(admin, ann.user_id, hard=True)
    assert ann.user_id not in world.db.state.users


async def test_get_user_shows_live_users_only(world: World) -> None:
    ann = await world.user("ann")
    view = await world.identity.get_user()(ann.user_id)
    assert (view.id, view.username, view.email) == (ann.user_id, "ann", "ann@example.com")
    with pytest.raises(NotFound) as missing:
        await world.identity.get_user()(999)
    assert missing.value.detail == "User 999 not found"


async def test_bulk_activate_takes_1_to_1000_ids_and_stores_the_change(world: World) -> None:
    admin = await world.user("root", superuser=True)
    ann = await world.user("ann")
    await world.identity.update_user()(admin, ann.user_id, identity.UpdateUserCommand(is_active=False))
    activate = world.identity.activate_users()
    ids = [ann.user_id, ann.user_id, *range(1000, 1998)]
    assert len(ids) == 1000
    assert await activate(admin, ids) == 1
    stored = world.db.state.users[ann.user_id]
    assert stored.is_active and stored.updated_at is not None
    assert stored.updated_at > world.db.state.users[admin.user_id].updated_at  # type: ignore[operator]
    with pytest.raises(InvalidInput) as too_many:
        await activate(admin, [*ids, 2000])
    assert (too_many.value.detail, too_many.value.field) == ("at most 1000 user ids at once", "user_ids")
    with pytest.raises(Forbidden):
        await activate(Actor(ann.user_id), [ann.user_id])


async def test_a_user_list_cursor_is_bound_to_the_active_filter(world: World) -> None:
    admin = await world.user("root", superuser=True)
    for i in range(3):
        await world.user(f"user{i}")
    list_users = world.identity.list_users()
    first = await list_users(admin, UserFilter(is_active=True), PageParams("username", limit=2))
    assert first.next_cursor and (first.limit, first.offset) == (2, 0)
    rest = await list_users(
        admin, UserFilter(is_active=True), PageParams("username", limit=2, cursor=first.next_cursor)
    )
    assert [u.username for u in first.items + rest.items] == ["root", "user0", "user1", "user2"]
    for other in (UserFilter(is_active=False), UserFilter()):
        with pytest.raises(BadRequest):
            await list_users(admin, other, PageParams("username", limit=2, cursor=first.next_cursor))


async def test_create_superuser_promotion_is_stored(world: World) -> None:
    admin = await world.user("root", superuser=True)
    ann = await world.user("ann")
    await world.identity.update_user()(admin, ann.user_id, identity.UpdateUserCommand(is_active=False))
    await world.identity.delete_user()(admin, ann.user_id)
    view, created = await world.identity.create_superuser()(
        identity.SignUpCommand(" Ann@Example.com", "ignored", "ignored-pw")
    )
    stored = world.db.state.users[ann.user_id]
    assert not created and view.id == ann.user_id
    assert (stored.is_superuser, stored.is_active, stored.is_deleted, stored.deleted_at) == (
        True,
        True,
        False,
        None,
    )
    assert stored.password_hash == "v1$password-1" and stored.username == "ann"
    world.db.statements.clear()
    await world.identity.create_superuser()(identity.SignUpCommand("ann@example.com", "ann", "password-1"))
    assert "users.update" not in [s.name for s in world.db.statements]  # already one: nothing to write
    view, created = await world.identity.create_superuser()(
        identity.SignUpCommand("new@example.com", "new", "password-2")
    )
    stored = world.db.state.users[view.id]
    assert created and (stored.is_superuser, stored.password_hash) == (True, "v1$password-2")
