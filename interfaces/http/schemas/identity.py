"""Request and response schemas of the identity context."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    EmailStr,
    Field,
    StringConstraints,
    UrlConstraints,
    field_validator,
)

from application.identity import MAX_BULK_ACTIVATE
from domain.identity import (
    AVATAR_URL_MAX,
    BIO_MAX,
    EMAIL_MAX,
    FULL_NAME_MAX,
    PASSWORD_MAX,
    PASSWORD_MIN,
    USERNAME_PATTERN,
)
from interfaces.http.schemas.common import Id, InputModel, OutputModel, Timestamp


def _stored_email_fits(email: str) -> str:
    # Lower-casing can lengthen a string ("İ" becomes two characters): check what is stored.
    if len(email.strip().lower()) > EMAIL_MAX:
        raise ValueError(f"email must be at most {EMAIL_MAX} characters")
    return email


def _stored_url_fits(url: AnyHttpUrl) -> AnyHttpUrl:
    # Normalisation can lengthen a URL (IDNA host, a trailing "/"): check what is stored.
    if len(str(url)) > AVATAR_URL_MAX:
        raise ValueError(f"URL must be at most {AVATAR_URL_MAX} characters once normalised")
    return url


Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN)]
Password = Annotated[str, StringConstraints(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]
FullName = Annotated[str, StringConstraints(max_length=FULL_NAME_MAX)]
Email = Annotated[EmailStr, StringConstraints(max_length=EMAIL_MAX), AfterValidator(_stored_email_fits)]
AvatarUrl = Annotated[AnyHttpUrl, UrlConstraints(max_length=AVATAR_URL_MAX), AfterValidator(_stored_url_fits)]


class LoginForm(BaseModel):
    """The OAuth2 password grant (RFC 6749 4.3.2), as a form: ``username`` is the email or the
    username."""

    grant_type: Annotated[str, StringConstraints(pattern="^password$")] | None = None
    username: str
    password: str = Field(json_schema_extra={"format": "password"})
    scope: str = ""
    client_id: str | None = None
    client_secret: str | None = Field(default=None, json_schema_extra={"format": "password"})


class SignUpIn(InputModel):
    email: Email
    username: Username
    password: Password
    full_name: FullName | None = None


class UserPatchIn(InputModel):
    """Omitted fields stay as they are; email or password changes need ``current_password``."""

    email: Email | None = None
    username: Username | None = None
    full_name: FullName | None = None
    password: Password | None = None
    current_password: Annotated[str, StringConstraints(max_length=PASSWORD_MAX)] | None = None

    @field_validator("email", "username", "password")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class AdminUserPatchIn(UserPatchIn):
    is_active: bool | None = None
    is_superuser: bool | None = None

    @field_validator("is_active", "is_superuser")
    @classmethod
    def _flag_not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class ProfileIn(InputModel):
    bio: Annotated[str, StringConstraints(max_length=BIO_MAX)] | None = None
    avatar_url: AvatarUrl | None = None


class ActivateUsersIn(InputModel):
    user_ids: Annotated[list[Id], Field(max_length=MAX_BULK_ACTIVATE)]


class ProfileOut(OutputModel):
    bio: str | None
    avatar_url: str | None


class UserPublicOut(OutputModel):
    id: int
    username: str
    full_name: str | None
    created_at: Timestamp
    profile: ProfileOut | None


class UserPrivateOut(UserPublicOut):
    email: str
    is_active: bool
    is_superuser: bool
    updated_at: Timestamp


class ActivatedOut(OutputModel):
    updated: int


class TokenOut(OutputModel):
    access_token: str
    token_type: str
    expires_in: int


class TopUserOut(OutputModel):
    user_id: int
    username: str
    item_count: int


class UserStatsOut(OutputModel):
    total_users: int
    active_users: int
    top_users: list[TopUserOut]
