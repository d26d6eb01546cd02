"""Request and response schemas of the identity context."""

from __future__ import annotations

from typing import Annotated, Any

import email_validator
from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    EmailStr,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    field_validator,
)
from pydantic.json_schema import SkipJsonSchema

from application.identity import MAX_BULK_ACTIVATE
from application.identity.views import UserView
from domain.identity import (
    AVATAR_URL_MAX,
    BIO_MAX,
    EMAIL_MAX,
    FULL_NAME_MAX,
    PASSWORD_MAX,
    PASSWORD_MIN,
    USERNAME_PATTERN,
)
from interfaces.http.schemas.common import NO_NUL, Id, InputModel, OutputModel, Timestamp, omitted


def _stored_email_fits(email: str) -> str:
    # Lower-casing can lengthen a string ("İ" becomes two characters): check what is stored.
    if len(email.strip().lower()) > EMAIL_MAX:
        raise ValueError(f"email must be at most {EMAIL_MAX} characters")
    return email


# The OpenAPI ``format: email`` admits addresses on special-use domains (RFC 6761: ``x@y.test``,
# ``.invalid``, ``.localhost``, ``.arpa``...), which email-validator refuses by default as "not
# globally deliverable". Bazaar never sends mail to an address, so such an address is as good as
# any other: the service accepts what its schema admits. email-validator has no option for this
# (``test_environment`` frees ``.test`` only); it reads this module-level list on every call.
email_validator.SPECIAL_USE_DOMAIN_NAMES.clear()

_HTTP_URL: TypeAdapter[AnyHttpUrl] = TypeAdapter(AnyHttpUrl)


def _http_url(text: str) -> str:
    """An http(s) URL, kept as the client wrote it: pydantic's normalised form (IDNA host, a
    trailing "/") may be longer than the text the schema's ``maxLength`` was checked on."""
    try:
        _HTTP_URL.validate_python(text)
    except ValidationError as error:
        raise ValueError(f"must be an http(s) URL: {error.errors()[0]['msg']}") from None
    return text


Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN)]
Password = Annotated[str, StringConstraints(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX, pattern=NO_NUL)]
FullName = Annotated[str, StringConstraints(max_length=FULL_NAME_MAX, pattern=NO_NUL)]
# RFC 5321 caps an address at 254 characters and email-validator refuses longer ones, below the
# column's EMAIL_MAX: the schema says the smaller limit.
EMAIL_ADDRESS_MAX = min(EMAIL_MAX, 254)
Email = Annotated[
    EmailStr, StringConstraints(max_length=EMAIL_ADDRESS_MAX), AfterValidator(_stored_email_fits)
]
AvatarUrl = Annotated[
    str,
    StringConstraints(min_length=1, max_length=AVATAR_URL_MAX),
    AfterValidator(_http_url),
    WithJsonSchema({"type": "string", "format": "uri", "minLength": 1, "maxLength": AVATAR_URL_MAX}),
]


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

    # May be omitted, not null: ``SkipJsonSchema[None]`` and ``omitted()`` keep null out of OpenAPI.
    email: Email | SkipJsonSchema[None] = omitted()
    username: Username | SkipJsonSchema[None] = omitted()
    full_name: FullName | None = None
    password: Password | SkipJsonSchema[None] = omitted()
    current_password: Annotated[str, StringConstraints(max_length=PASSWORD_MAX, pattern=NO_NUL)] | None = None

    @field_validator("email", "username", "password")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class AdminUserPatchIn(UserPatchIn):
    is_active: bool | SkipJsonSchema[None] = omitted()
    is_superuser: bool | SkipJsonSchema[None] = omitted()

    @field_validator("is_active", "is_superuser")
    @classmethod
    def _flag_not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class ProfileIn(InputModel):
    bio: Annotated[str, StringConstraints(max_length=BIO_MAX, pattern=NO_NUL)] | None = None
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


def private_user_document(user: UserView) -> dict[str, Any]:
    """``UserPrivateOut`` of ``user`` as JSON-ready values (``GET /users/me``, the caller's own
    view on every authenticated request's hot path): field for field what the model serialises;
    ``tests/unit/test_documents.py`` holds the two equal."""
    profile = user.profile
    return {
        "id": user.id,
        "username": user.username,
        "full_name": user.full_name,
        "created_at": user.created_at.isoformat(),
        "profile": None if profile is None else {"bio": profile.bio, "avatar_url": profile.avatar_url},
        "email": user.email,
        "is_active": user.is_active,
        "is_superuser": user.is_superuser,
        "updated_at": user.updated_at.isoformat(),
    }


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
