"""Identity use cases: sign-up, login, the caller's own account, and superuser administration.

Each class is one use case: built once by the container with its ports, called per request with
the actor and a command. Authorisation is decided here so the unit tests cover it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from application.common import UNSET, Actor, Unset
from application.pagination import CursorCodec, Page, Sort, scope_of
from application.ports import (
    Clock,
    PasswordHasher,
    TokenService,
    UnitOfWork,
    UnitOfWorkFactory,
    UserQueries,
)
from application.views import TokenView, UserFilter, UserStatsView, UserView
from domain.errors import Forbidden, InvalidInput, NotFound, RateLimited, Unauthorized
from domain.identity import (
    Profile,
    User,
    check_password,
    check_username,
    normalise_email,
)

USER_SORTS = ("created_at", "email", "username")
MAX_BULK_ACTIVATE = 1000
LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_MAX_FAILURES = 5


def _not_found(user_id: int) -> NotFound:
    return NotFound(f"User {user_id} not found")


async def _load(uow: UnitOfWork, user_id: int) -> User:
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
    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher, clock: Clock) -> None:
        self._uow, self._hasher, self._clock = uow, hasher, clock

    async def __call__(self, cmd: SignUpCommand, *, is_superuser: bool = False) -> UserView:
        check_password(cmd.password)
        now = self._clock.now()
        user = User(
            email=normalise_email(cmd.email),
            username=check_username(cmd.username),
            password_hash=await self._hasher.hash(cmd.password),
            full_name=cmd.full_name,
            is_superuser=is_superuser,
            created_at=now,
            updated_at=now,
        )
        async with self._uow() as uow:
            user = await uow.users.add(user)
            await uow.commit()
        return UserView.of(user)


class IssueToken:
    """OAuth2 password login with a database-backed throttle per login name.

    Reads, the password check and writes happen in separate short transactions so the slow
    Argon2 check never holds a database transaction (SQLite would serialise every login on it).
    """

    def __init__(
        self, uow: UnitOfWorkFactory, hasher: PasswordHasher, tokens: TokenService, clock: Clock
    ) -> None:
        self._uow, self._hasher, self._tokens, self._clock = uow, hasher, tokens, clock

    async def __call__(self, login: str, password: str) -> TokenView:
        key = login.strip().lower()
        now = self._clock.now()
        async with self._uow() as uow:
            failures = await uow.login_attempts.failures_since(key, now - LOGIN_WINDOW)
            if len(failures) >= LOGIN_MAX_FAILURES:
                wait = min(failures) + LOGIN_WINDOW - now
                raise RateLimited(
                    "Too many failed logins; try again later", max(1, int(wait.total_seconds()) + 1)
                )
            user = await uow.users.get_by_login(key)
        valid, new_hash = await self._hasher.verify(password, user.password_hash if user else None)
        async with self._uow() as uow:
            if not valid or user is None:
                await uow.login_attempts.record_failure(key, now)
                await uow.commit()
                raise Unauthorized("Incorrect username or password")
            if not user.can_log_in:
                raise Forbidden("This account is inactive")
            await uow.login_attempts.clear(key)
            if new_hash is not None:
                user.change(now, password_hash=new_hash)
                await uow.users.update(user)
            await uow.commit()
        assert user.id is not None
        return TokenView(access_token=self._tokens.issue(user.id), expires_in=self._tokens.expires_in)


class Authenticate:
    """Turns a bearer token into the caller's private view: one read, no transaction."""

    def __init__(self, tokens: TokenService, queries: UserQueries) -> None:
        self._tokens, self._queries = tokens, queries

    async def __call__(self, token: str) -> UserView:
        view = await self._queries.private_view(self._tokens.subject(token))
        if view is None:
            raise Unauthorized("Could not validate credentials")
        if not view.is_active:
            raise Forbidden("This account is inactive")
        return view


class _UserUpdate:
    """Shared by the self-service and the superuser PATCH: same fields, different rights."""

    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher, clock: Clock) -> None:
        self._uow, self._hasher, self._clock = uow, hasher, clock

    async def _apply(self, user: User, cmd: UpdateUserCommand, *, admin: bool) -> None:
        changes: dict[str, object] = {}
        if not isinstance(cmd.email, Unset):
            changes["email"] = normalise_email(cmd.email)
        if not isinstance(cmd.username, Unset):
            changes["username"] = check_username(cmd.username)
        if not isinstance(cmd.full_name, Unset):
            changes["full_name"] = cmd.full_name
        if not isinstance(cmd.password, Unset):
            changes["password_hash"] = await self._hasher.hash(check_password(cmd.password))
        if admin:
            if not isinstance(cmd.is_active, Unset):
                changes["is_active"] = cmd.is_active
            if not isinstance(cmd.is_superuser, Unset):
                changes["is_superuser"] = cmd.is_superuser
        sensitive = ("email" in changes and changes["email"] != user.email) or ("password_hash" in changes)
        if sensitive and not admin:
            valid = (
                cmd.current_password is not None
                and (await self._hasher.verify(cmd.current_password, user.password_hash))[0]
            )
            if not valid:
                raise Forbidden("Changing email or password requires the correct current_password")
        user.change(self._clock.now(), **changes)


class UpdateMe(_UserUpdate):
    async def __call__(self, actor: Actor, cmd: UpdateUserCommand) -> UserView:
        async with self._uow() as uow:
            user = await _load(uow, actor.user_id)
            await self._apply(user, cmd, admin=False)
            await uow.users.update(user)
            await uow.commit()
        return UserView.of(user)


class UpdateUser(_UserUpdate):
    async def __call__(self, actor: Actor, user_id: int, cmd: UpdateUserCommand) -> UserView:
        actor.require_superuser()
        async with self._uow() as uow:
            user = await _load(uow, user_id)
            await self._apply(user, cmd, admin=True)
            await uow.users.update(user)
            await uow.commit()
        return UserView.of(user)


class ReplaceProfile:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, actor: Actor, profile: Profile) -> UserView:
        async with self._uow() as uow:
            user = await _load(uow, actor.user_id)
            user.change(self._clock.now(), profile=profile)
            await uow.users.update(user)
            await uow.commit()
        return UserView.of(user)


class DeleteUser:
    """Soft delete by the user or a superuser (their items become inactive in the same
    transaction); hard delete (cascade) by a superuser only."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, actor: Actor, user_id: int, *, hard: bool = False) -> None:
        if hard or user_id != actor.user_id:
            actor.require_superuser()
        async with self._uow() as uow:
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
            await uow.commit()


class ActivateUsers:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, actor: Actor, user_ids: Sequence[int]) -> int:
        actor.require_superuser()
        if len(user_ids) > MAX_BULK_ACTIVATE:
            raise InvalidInput(f"at most {MAX_BULK_ACTIVATE} user ids at once", "user_ids")
        async with self._uow() as uow:
            updated = await uow.users.activate(sorted(set(user_ids)), self._clock.now())
            await uow.commit()
        return updated


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

    async def __call__(
        self,
        actor: Actor,
        flt: UserFilter,
        *,
        sort: str = "created_at",
        limit: int = 20,
        offset: int = 0,
        cursor: str | None = None,
    ) -> Page[UserView]:
        actor.require_superuser()
        scope = scope_of(flt.q, flt.is_active)
        request = self._cursors.page_request(Sort.parse(sort, USER_SORTS), limit, offset, cursor, scope)
        return self._cursors.page(request, await self._queries.list(flt, request), scope)


class GetUserStats:
    def __init__(self, queries: UserQueries) -> None:
        self._queries = queries

    async def __call__(self) -> UserStatsView:
        return await self._queries.stats()


class CreateSuperuser:
    """For the CLI: creates a superuser, or promotes the existing user with that email."""

    def __init__(self, uow: UnitOfWorkFactory, sign_up: SignUp, clock: Clock) -> None:
        self._uow, self._sign_up, self._clock = uow, sign_up, clock

    async def __call__(self, cmd: SignUpCommand) -> tuple[UserView, bool]:
        async with self._uow() as uow:
            user = await uow.users.get_by_email(normalise_email(cmd.email))
            if user is not None:
                user.change(
                    self._clock.now(), is_superuser=True, is_active=True, is_deleted=False, deleted_at=None
                )
                await uow.users.update(user)
                await uow.commit()
                return UserView.of(user), False
        return await self._sign_up(cmd, is_superuser=True), True
