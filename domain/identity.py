"""Identity: users and their profile.

Normalisation lives here so every way in (HTTP, CLI, seed) stores the same canonical values:
emails lower-cased, usernames kept as typed but compared case-insensitively.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from domain.entity import UNSET, Entity, Unset, given
from domain.errors import InvalidInput

USERNAME_MIN, USERNAME_MAX = 3, 50
USERNAME_PATTERN = rf"^[A-Za-z0-9_.-]{{{USERNAME_MIN},{USERNAME_MAX}}}$"
USERNAME_RE = re.compile(USERNAME_PATTERN)
PASSWORD_MIN, PASSWORD_MAX = 8, 128
EMAIL_MAX = 255
FULL_NAME_MAX = 255
BIO_MAX = 500
AVATAR_URL_MAX = 500


def normalise_email(email: str) -> str:
    """Emails are compared and stored lower-cased, so ``A@x.io`` and ``a@x.io`` are one user."""
    return email.strip().lower()


def check_username(username: str) -> str:
    if not USERNAME_RE.fullmatch(username):
        raise InvalidInput(
            f"username must be {USERNAME_MIN}-{USERNAME_MAX} characters of A-Z, a-z, 0-9, _ . -", "username"
        )
    return username


def check_password(password: str) -> str:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidInput(f"password must be {PASSWORD_MIN}-{PASSWORD_MAX} characters", "password")
    return password


@dataclass(frozen=True, slots=True)
class Profile:
    bio: str | None = None
    avatar_url: str | None = None


@dataclass(slots=True)
class User(Entity):
    """A person who can log in. ``id`` is ``None`` until the repository has stored it."""

    email: str
    username: str
    password_hash: str
    full_name: str | None = None
    is_active: bool = True
    is_superuser: bool = False
    is_deleted: bool = False
    deleted_at: datetime | None = None
    profile: Profile | None = None
    # Part of every token issued for the user; bumped when the password changes or the account
    # is deactivated or deleted, which turns every token issued before into a 401.
    token_version: int = 0
    id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def can_log_in(self) -> bool:
        return self.is_active and not self.is_deleted

    def edit(
        self,
        now: datetime,
        *,
        email: str | Unset = UNSET,
        username: str | Unset = UNSET,
        full_name: str | Unset | None = UNSET,
        password_hash: str | Unset = UNSET,
    ) -> bool:
        """The fields a user edits about themselves, normalised and checked."""
        if not isinstance(email, Unset):
            email = normalise_email(email)
        if not isinstance(username, Unset):
            username = check_username(username)
        values = given(email=email, username=username, full_name=full_name, password_hash=password_hash)
        if "password_hash" in values and values["password_hash"] != self.password_hash:
            values["token_version"] = self.token_version + 1
        return self._record(now, values)

    def set_access(
        self, now: datetime, *, is_active: bool | Unset = UNSET, is_superuser: bool | Unset = UNSET
    ) -> bool:
        """What a superuser decides about an account. Deactivating it revokes its tokens (they
        stay revoked when it is activated again)."""
        values = given(is_active=is_active, is_superuser=is_superuser)
        if values.get("is_active") is False and self.is_active:
            values["token_version"] = self.token_version + 1
        return self._record(now, values)

    def promote(self, now: datetime) -> bool:
        """Make this an active superuser again, whatever happened to the account before."""
        return self._record(
            now, {"is_superuser": True, "is_active": True, "is_deleted": False, "deleted_at": None}
        )

    def replace_profile(self, now: datetime, profile: Profile | None) -> bool:
        return self._record(now, {"profile": profile})

    def rehash(self, now: datetime, password_hash: str) -> bool:
        """Store the same password under the current hash parameters."""
        return self._record(now, {"password_hash": password_hash})

    def soft_delete(self, now: datetime) -> None:
        self._record(
            now,
            {
                "is_deleted": True,
                "deleted_at": now,
                "is_active": False,
                "token_version": self.token_version + 1,
            },
        )
