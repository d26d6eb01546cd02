"""Identity use cases: sign-up, login, the caller's own account, and superuser administration.

Each class is one use case: built once by the container with its ports, called per request with
the actor and a command. Authorisation is decided here so the unit tests cover it. Every write
runs through ``Transactions`` (one unit of work, one commit, the whole rerun on a lost race).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.common import UNSET, Actor, Unset
from application.identity.ports import IdentityUnitOfWork, UserQueries
from application.identity.views import TokenView, UserFilter, UserStatsView, UserView
from application.pagination import CursorCodec, Page, PageParams, scope_of
from application.ports import Clock, PasswordHasher, TokenService
from application.transactions import Transactions
from domain.errors import Forbidden, InvalidInput, NotFound, RateLimited, Unauthorized
from domain.identity import EMAIL_MAX, Profile, User, check_password, check_username, normalise_email
from domain.text import is_storable

USER_SORTS = ("created_at", "email", "username")
MAX_BULK_ACTIVATE = 1000
LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_MAX_PER_CLIENT = 5  # guesses evaluated per account and client address per window
LOGIN_MAX_PER_ACCOUNT = 50  # guesses evaluated per account across all addresses per window
LOGIN_MAX_LENGTH = EMAIL_MAX  # a longer login names no account
CLIENT_MAX_LENGTH = 45  # an IPv6 address in text
PURGE_EVERY = timedelta(minutes=1)

IdentityTransactions = Transactions[IdentityUnitOfWork]


def _not_found(user_id: int) -> NotFound:
    return NotFound(f"User {user_id} not found")


async def _load(uow: IdentityUnitOfWork, user_id: int) -> User:
    user = await uow.users.get(user_id)
    if user is None or user.is_deleted:
        raise _not_found(user_id)
    return user


# --- commands ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignUpCommand:
    email: str
    username: str
    password: str
    full_name: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateUserCommand:
    """PATCH of a user; ``UNSET`` fields are left alone. The admin-only flags are ignored unless
    a superuser sends them through ``UpdateUser``."""

    email: str | Unset = UNSET
    username: str | Unset = UNSET
    full_name: str | Unset | None = UNSET
    password: str | Unset = UNSET
    current_password: str | None = None
    is_active: bool | Unset = UNSET
    is_superuser: bool | Unset = UNSET


# --- use cases ----------------------------------------------------------------------------------


class SignUp:
    def __init__(self, tx: IdentityTransactions, hasher: PasswordHasher, clock: Clock) -> None:
        self._tx, self._hasher, self._clock = tx, hasher, clock

    async def __call__(self, cmd: SignUpCommand, *, is_superuser: bool = False) -> UserView:
        check_password(cmd.password)
        email, username = normalise_email(cmd.email), check_username(cmd.username)
        password_hash = await self._hasher.hash(cmd.password)  # slow: outside the transaction

        async def work(uow: IdentityUnitOfWork) -> User:
            now = self._clock.now()
            user = User(
                email=email,
                username=username,
                password_hash=password_hash,
                full_name=cmd.full_name,
                is_superuser=is_superuser,
                created_at=now,
                updated_at=now,
            )
            return await uow.users.add(user)

        return UserView.of(await self._tx(work))


class IssueToken:
    """OAuth2 password login, throttled per account (every spelling of the login is one account;
    an unknown login is a key of its own, treated the same way).

    Each attempt is counted *before* the password is checked, atomically, under two keys: the
    account with the client's address (``LOGIN_MAX_PER_CLIENT`` per window: one client cannot
    guess more) and the account alone (``LOGIN_MAX_PER_ACCOUNT``: a ceiling across addresses,
    high enough that one attacker cannot lock the owner out from everywhere). Whatever the
    concurrency, and across workers, at most that many guesses per window are ever evaluated;
    the rest are 429 with ``Retry-After``. A successful login starts the account's keys afresh.
    The slow Argon2 check runs between two short transactions, never inside one.
    """

    def __init__(
        self, tx: IdentityTransactions, hasher: PasswordHasher, tokens: TokenService, clock: Clock
    ) -> None:
        self._tx, self._hasher, self._tokens, self._clock = tx, hasher, tokens, clock
        self._next_purge: datetime | None = None

    async def __call__(self, login: str, password: str, client: str = "unknown") -> TokenView:
        name = login.strip().lower()
        usable = 0 < len(name) <= LOGIN_MAX_LENGTH and is_storable(name)
        now = self._clock.now()

        async def count(uow: IdentityUnitOfWork) -> tuple[User | None, list[str]]:
            user = await uow.users.get_by_login(name) if usable else None
            account = f"user:{user.id}" if user is not None else f"login:{_digest(name)}"
            keys = [f"{account}|{client[:CLIENT_MAX_LENGTH]}", account]
            for key, limit in zip(keys, (LOGIN_MAX_PER_CLIENT, LOGIN_MAX_PER_ACCOUNT), strict=True):
                attempts = await uow.login_throttle.count_attempt(key, now, LOGIN_WINDOW)
                if attempts.count > limit:
                    # A concurrent attempt may have opened the window a moment after ``now``.
                    wait = min(attempts.window_started_at + LOGIN_WINDOW - now, LOGIN_WINDOW)
                    raise RateLimited(
                        "Too many failed logins; try again later", max(1, math.ceil(wait.total_seconds()))
                    )
            return user, keys

        user, keys = await self._tx(count)
        await self._purge_now_and_then(now)
        if not is_storable(password):  # no stored password contains one: check a stand-in
            password = "\ufffd"
        valid, new_hash = await self._hasher.verify(password, user.password_hash if user else None)
        if not valid or user is None:

            async def refused(uow: IdentityUnitOfWork) -> None:
                await uow.login_throttle.refused()

            await self._tx(refused)
            raise Unauthorized("Incorrect username or password")
        if not user.can_log_in:
            raise Forbidden("This account is inactive")
        user_id = user.id
        assert user_id is not None

        async def succeed(uow: IdentityUnitOfWork) -> int:
            await uow.login_throttle.forget(keys)
            stored = await uow.users.get(user_id)
            if stored is None:
                raise Unauthorized("Incorrect username or password")
            if new_hash is not None and stored.rehash(now, new_hash):
                await uow.users.update(stored)
            return stored.token_version

        version = await self._tx(succeed)
        return TokenView(
            access_token=self._tokens.issue(user_id, version), expires_in=self._tokens.expires_in
        )

    async def _purge_now_and_then(self, now: datetime) -> None:
        """Windows that ended are dead weight: drop them at most once per ``PURGE_EVERY`` (per
        process), so the table stays bounded by the keys of the last window."""
        if self._next_purge is not None and now < self._next_purge:
            return
        self._next_purge = now + PURGE_EVERY

        async def purge(uow: IdentityUnitOfWork) -> int:
            return await uow.login_throttle.purge(now - LOGIN_WINDOW)

        await self._tx(purge)


class PurgeLoginThrottle:
    """For the CLI (``bazaar purge``): drop every throttle window that has ended."""

    def __init__(self, tx: IdentityTransactions, clock: Clock) -> None:
        self._tx, self._clock = tx, clock

    async def __call__(self) -> int:
        cutoff = self._clock.now() - LOGIN_WINDOW

        async def work(uow: IdentityUnitOfWork) -> int:
            return await uow.login_throttle.purge(cutoff)

        return await self._tx(work)


def _digest(name: str) -> str:
    """A fixed-size key for a login that names no account (any length, any character)."""
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:40]


class Authenticate:
    """Turns a bearer token into the caller's private view: one read, no transaction. A token
    issued before the password changed or the account was deactivated is refused."""

    def __init__(self, tokens: TokenService, queries: UserQueries) -> None:
        self._tokens, self._queries = tokens, queries

    async def __call__(self, token: str) -> UserView:
        claims = self._tokens.claims(token)
        view = await self._queries.private_view(claims.user_id)
        if view is None or view.token_version != claims.version:
            raise Unauthorized("Could not validate credentials")
        if not view.is_active:
            raise Forbidden("This account is inactive")
        return view


class _UserUpdate:
    """Shared by the self-service and the superuser PATCH: same fields, different rights."""

    def __init__(self, tx: IdentityTransactions, hasher: PasswordHasher, clock: Clock) -> None:
        self._tx, self._hasher, self._clock = tx, hasher, clock

    async def _update(self, user_id: int, cmd: UpdateUserCommand, *, admin: bool) -> UserView:
        # Hash outside the transaction: Argon2 is slow and must not hold row locks.
        new_hash = (
            UNSET
            if isinstance(cmd.password, Unset)
            else await self._hasher.hash(check_password(cmd.password))
        )

        async def work(uow: IdentityUnitOfWork) -> User:
            user = await _load(uow, user_id)
            email_changes = not isinstance(cmd.email, Unset) and normalise_email(cmd.email) != user.email
            if (email_changes or not isinstance(new_hash, Unset)) and not admin:
                await self._require_current_password(user, cmd.current_password)
            now = self._clock.now()
            changed = user.edit(
                now, email=cmd.email, username=cmd.username, full_name=cmd.full_name, password_hash=new_hash
            )
            if admin:
                changed = (
                    user.set_access(now, is_active=cmd.is_active, is_superuser=cmd.is_superuser) or changed
                )
            if changed:
                await uow.users.update(user)
            return user

        return UserView.of(await self._tx(work))

    async def _require_current_password(self, user: User, current_password: str | None) -> None:
        valid = (
            current_password is not None
            and (await self._hasher.verify(current_password, user.password_hash))[0]
        )
        if not valid:
            raise Forbidden("Changing email or password requires the correct current_password")


class UpdateMe(_UserUpdate):
    async def __call__(self, actor: Actor, cmd: UpdateUserCommand) -> UserView:
        return await self._update(actor.user_id, cmd, admin=False)


class UpdateUser(_UserUpdate):
    async def __call__(self, actor: Actor, user_id: int, cmd: UpdateUserCommand) -> UserView:
        actor.require_superuser()
        return await self._update(user_id, cmd, admin=True)


class ReplaceProfile:
    def __init__(self, tx: IdentityTransactions, clock: Clock) -> None:
        self._tx, self._clock = tx, clock

    async def __call__(self, actor: Actor, profile: Profile) -> UserView:
        async def work(uow: IdentityUnitOfWork) -> User:
            user = await _load(uow, actor.user_id)
            if user.replace_profile(self._clock.now(), profile):
                await uow.users.update(user)
            return user

        return UserView.of(await self._tx(work))


class DeleteUser:
    """Soft delete by the user or a superuser (their items become inactive in the same
    transaction); hard delete (cascade) by a superuser only."""

    def __init__(self, tx: IdentityTransactions, clock: Clock) -> None:
        self._tx, self._clock = tx, clock

    async def __call__(self, actor: Actor, user_id: int, *, hard: bool = False) -> None:
        if hard or user_id != actor.user_id:
            actor.require_superuser()

        async def work(uow: IdentityUnitOfWork) -> None:
            user = await uow.users.get(user_id)
            if user is None or (user.is_deleted and not hard):
                raise _not_found(user_id)
            if hard:
                await uow.users.delete(user_id)
            else:
                now = self._clock.now()
                user.soft_delete(now)
                await uow.users.update(user)
                await uow.items.deactivate_owned_by(user_id, now)

        await self._tx(work)


class ActivateUsers:
    def __init__(self, tx: IdentityTransactions, clock: Clock) -> None:
        self._tx, self._clock = tx, clock

    async def __call__(self, actor: Actor, user_ids: Sequence[int]) -> int:
        actor.require_superuser()
        if len(user_ids) > MAX_BULK_ACTIVATE:
            raise InvalidInput(f"at most {MAX_BULK_ACTIVATE} user ids at once", "user_ids")
        wanted = sorted(set(user_ids))

        async def work(uow: IdentityUnitOfWork) -> int:
            return await uow.users.activate(wanted, self._clock.now())

        return await self._tx(work)


class GetUser:
    def __init__(self, queries: UserQueries) -> None:
        self._queries = queries

    async def __call__(self, user_id: int) -> UserView:
        view = await self._queries.private_view(user_id)
        if view is None:
            raise _not_found(user_id)
        return view


class ListUsers:
    def __init__(self, queries: UserQueries, cursors: CursorCodec) -> None:
        self._queries, self._cursors = queries, cursors

    async def __call__(self, actor: Actor, flt: UserFilter, params: PageParams) -> Page[UserView]:
        actor.require_superuser()
        since = flt.posted_since.isoformat() if flt.posted_since is not None else None
        scope = scope_of(flt.q, flt.is_active, since)
        request = self._cursors.page_request(params, USER_SORTS, scope)
        return self._cursors.page(request, await self._queries.list(flt, request), scope)


class GetUserStats:
    def __init__(self, queries: UserQueries) -> None:
        self._queries = queries

    async def __call__(self) -> UserStatsView:
        return await self._queries.stats()


class CreateSuperuser:
    """For the CLI: creates a superuser, or promotes the existing user with that email."""

    def __init__(self, tx: IdentityTransactions, sign_up: SignUp, clock: Clock) -> None:
        self._tx, self._sign_up, self._clock = tx, sign_up, clock

    async def __call__(self, cmd: SignUpCommand) -> tuple[UserView, bool]:
        email = normalise_email(cmd.email)

        async def promote(uow: IdentityUnitOfWork) -> User | None:
            user = await uow.users.get_by_email(email)
            if user is not None and user.promote(self._clock.now()):
                await uow.users.update(user)
            return user

        promoted = await self._tx(promote)
        if promoted is not None:
            return UserView.of(promoted), False
        return await self._sign_up(cmd, is_superuser=True), True
