"""Fakes of identity's ports: users and login attempts (write side), user queries (read side)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from application.identity.ports import Attempts
from application.identity.views import TopUserView, UserFilter, UserStatsView, UserView
from application.pagination import PageRequest, Slice
from domain.errors import AlreadyExists, Conflict
from domain.identity import User
from tests.fakes.paging import fake_page
from tests.fakes.state import FakeDatabase, FakeState, still_referenced

if TYPE_CHECKING:
    from tests.fakes.uow import FakeUnitOfWork


def _check_unique_user(state: FakeState, user: User) -> None:
    for other in state.users.values():
        if other.id == user.id:
            continue
        if other.email == user.email:
            raise AlreadyExists("User", "email")
        if other.username.lower() == user.username.lower():
            raise AlreadyExists("User", "username")


class FakeUserRepository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def _users(self) -> dict[int, User]:
        return self._uow.state.users

    async def add(self, user: User) -> User:
        self._uow.db.run("users.add")
        _check_unique_user(self._uow.state, user)
        user.id = self._uow.state.new_id("users")
        self._users[user.id] = copy.deepcopy(user)
        return user

    async def get(self, user_id: int) -> User | None:
        self._uow.db.run("users.get")
        user = self._users.get(user_id)
        return copy.deepcopy(user) if user else None

    async def get_by_email(self, email: str) -> User | None:
        self._uow.db.run("users.get_by_email")
        return next((copy.deepcopy(u) for u in self._users.values() if u.email == email), None)

    async def get_by_login(self, login: str) -> User | None:
        self._uow.db.run("users.get_by_login")
        return next(
            (copy.deepcopy(u) for u in self._users.values() if login in (u.email, u.username.lower())),
            None,
        )

    async def update(self, user: User) -> None:
        self._uow.db.run("users.update")
        assert user.id in self._users
        _check_unique_user(self._uow.state, user)
        self._users[user.id] = copy.deepcopy(user)

    async def delete(self, user_id: int) -> None:
        """Cascades as the foreign keys do (profile, items and their tags, posts), and refuses, like
        ON DELETE RESTRICT, when another context still refers to the user or to an item."""
        self._uow.db.run("users.delete")
        state = self._uow.state
        still_referenced(state, "users", user_id)
        if any(a.owner_id == user_id for a in state.accounts.values()):  # fk_accounts_owner_id_users
            raise Conflict("User is still referenced by their accounts; it cannot be deleted")
        owned = [i for i, item in state.items.items() if item.owner_id == user_id]
        for item_id in owned:
            still_referenced(state, "items", item_id)
        for item_id in owned:
            del state.items[item_id]
        for post_id in [i for i, post in state.posts.items() if post.author_id == user_id]:
            del state.posts[post_id]  # fk_posts_author_id_users: ON DELETE CASCADE
        self._users.pop(user_id, None)

    async def activate(self, user_ids: Sequence[int], now: datetime) -> int:
        self._uow.db.run("users.activate")
        changed = 0
        for user_id in user_ids:
            user = self._users.get(user_id)
            if user and not user.is_deleted and not user.is_active:
                user.is_active, user.updated_at = True, now
                changed += 1
        return changed


class FakeLoginThrottleRepository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    async def count_attempt(self, key: str, now: datetime, window: timedelta) -> Attempts:
        self._uow.db.run("login_throttle.count_attempt")
        throttles = self._uow.state.login_throttles
        count, started = throttles.get(key, (0, now))
        if started < now - window:
            count, started = 0, now
        throttles[key] = (count + 1, started)
        return Attempts(count + 1, started)

    async def forget(self, keys: Sequence[str]) -> None:
        self._uow.db.run("login_throttle.forget")
        for key in keys:
            self._uow.state.login_throttles.pop(key, None)

    async def refused(self) -> None:
        self._uow.db.refused_logins += 1

    async def purge(self, before: datetime) -> int:
        self._uow.db.run("login_throttle.purge")
        throttles = self._uow.state.login_throttles
        old = [key for key, (_, started) in throttles.items() if started < before]
        for key in old:
            del throttles[key]
        return len(old)


class FakeUserQueries:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db

    def _live(self) -> list[User]:
        return [u for u in self._db.state.users.values() if not u.is_deleted]

    async def private_view(self, user_id: int) -> UserView | None:
        return next((UserView.of(u) for u in self._live() if u.id == user_id), None)

    async def list(self, flt: UserFilter, page: PageRequest) -> Slice[UserView]:
        def matches(u: User) -> bool:
            if flt.is_active is not None and u.is_active != flt.is_active:
                return False
            since = flt.posted_since
            if since is not None and not any(
                p.author_id == u.id and p.created_at is not None and p.created_at >= since
                for p in self._db.state.posts.values()
            ):
                return False
            if flt.q:
                q = flt.q.lower()
                return any(q in (s or "").lower() for s in (u.email, u.username, u.full_name))
            return True

        return fake_page([UserView.of(u) for u in self._live() if matches(u)], page)

    async def stats(self) -> UserStatsView:
        live = self._live()
        counts = {u.id: 0 for u in live}
        for item in self._db.state.items.values():
            if item.owner_id in counts:
                counts[item.owner_id] += 1
        by_id = {u.id: u for u in live}
        ranked = sorted((c for c in counts.items() if c[1]), key=lambda c: (-c[1], c[0]))[:10]
        top = [TopUserView(uid, by_id[uid].username, n) for uid, n in ranked if uid is not None]
        return UserStatsView(
            total_users=len(live), active_users=sum(u.is_active for u in live), top_users=top
        )
