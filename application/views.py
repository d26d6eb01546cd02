"""Views and filters: the frozen dataclasses use cases return and query services fill."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from domain.errors import DomainError
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
        )


@dataclass(frozen=True, slots=True)
class UserFilter:
    q: str | None = None
    is_active: bool | None = None


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


# --- catalog -------------------------------------------------------------------------------------


def item_etag(item_id: int, updated_at: datetime) -> str:
    """Strong ETag of an item: every change bumps ``updated_at`` (microseconds), so id plus
    ``updated_at`` identifies one state of one item. Quoted, as RFC 9110 wants."""
    stamp = updated_at.astimezone(UTC).isoformat()
    return '"' + hashlib.sha256(f"item:{item_id}:{stamp}".encode()).hexdigest()[:20] + '"'


@dataclass(frozen=True, slots=True)
class OwnerView:
    id: int
    username: str


@dataclass(frozen=True, slots=True)
class ItemView:
    id: int
    title: str
    description: str | None
    price: Decimal
    is_active: bool
    owner: OwnerView
    tags: list[str]
    created_at: datetime
    updated_at: datetime

    @property
    def etag(self) -> str:
        return item_etag(self.id, self.updated_at)


@dataclass(frozen=True, slots=True)
class ItemFilter:
    q: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    tags: tuple[str, ...] = ()
    owner_id: int | None = None
    is_active: bool | None = True


@dataclass(frozen=True, slots=True)
class TagView:
    name: str
    item_count: int


@dataclass(frozen=True, slots=True)
class ItemStatsView:
    total_items: int
    active_items: int
    avg_price: Decimal | None
    min_price: Decimal | None
    max_price: Decimal | None
    top_tags: list[TagView]


@dataclass(frozen=True, slots=True)
class BatchResultView:
    """One element of a batch: ``id`` when created, ``error`` when it failed."""

    index: int
    id: int | None = None
    error: DomainError | None = None

    @property
    def created(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class BatchView:
    created: int
    failed: int
    results: list[BatchResultView]
