"""Identity: users and their profile.

Normalisation lives here so every way in (HTTP, CLI, seed) stores the same canonical values:
emails lower-cased, usernames kept as typed but compared case-insensitively.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from domain.errors import InvalidInput

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,50}$")
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
        raise InvalidInput("username must be 3-50 characters of A-Z, a-z, 0-9, _ . -", "username")
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
class User:
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
    id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def can_log_in(self) -> bool:
        return self.is_active and not self.is_deleted

    def change(self, now: datetime, **values: object) -> bool:
        """Set fields; bump ``updated_at`` only when a value really changed."""
        changed = False
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)
                changed = True
        if changed:
            self.updated_at = now
        return changed

    def soft_delete(self, now: datetime) -> None:
        self.change(now, is_deleted=True, deleted_at=now, is_active=False)
