"""Identity views and filters: the frozen dataclasses identity's use cases return and its query
service fills."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.identity import User


@dataclass(frozen=True, slots=True)
class ProfileView:
    bio: str | None
    avatar_url: str | None


@dataclass(frozen=True, slots=True)
class UserView:
    id: int
    email: str
    username: str
    full_name: str | None
    is_active: bool
    is_superuser: bool
    created_at: datetime
    updated_at: datetime
    profile: ProfileView | None
    token_version: int = 0  # never shown: ``Authenticate`` compares it with the token's

    @classmethod
    def of(cls, user: User) -> UserView:
        assert user.id is not None and user.created_at and user.updated_at, "user not stored yet"
        profile = ProfileView(user.profile.bio, user.profile.avatar_url) if user.profile else None
        return cls(
            id=user.id,
            email=user.email,
            username=user.username,
            full_name=user.full_name,
            is_active=user.is_active,
            is_superuser=user.is_superuser,
            created_at=user.created_at,
            updated_at=user.updated_at,
            profile=profile,
            token_version=user.token_version,
        )


@dataclass(frozen=True, slots=True)
class UserFilter:
    """``posted_since``: users with a post created at or after that instant (aware UTC)."""

    q: str | None = None
    is_active: bool | None = None
    posted_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class TopUserView:
    user_id: int
    username: str
    item_count: int


@dataclass(frozen=True, slots=True)
class UserStatsView:
    total_users: int
    active_users: int
    top_users: list[TopUserView] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TokenView:
    access_token: str
    expires_in: int
    token_type: str = "bearer"
