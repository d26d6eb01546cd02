"""Bearer-token dependencies. The token is resolved by the ``Authenticate`` use case in one
read; routes take either the caller's full private view or just the ``Actor``."""

from __future__ import annotations

from typing import Annotated

from dependency_injector.wiring import inject
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from application.common import Actor
from application.identity import Authenticate
from application.identity.views import UserView
from domain.errors import Unauthorized
from infrastructure.container import Container
from interfaces.http.api import TOKEN_URL
from interfaces.http.di import Provide

oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


@inject
async def current_user(
    request: Request,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    authenticate: Authenticate = Depends(Provide[Container.identity.authenticate]),
) -> UserView:
    if not token:
        raise Unauthorized("Not authenticated")
    user = await authenticate(token)
    request.state.user_id = user.id  # for the request log line
    return user


async def current_actor(user: Annotated[UserView, Depends(current_user)]) -> Actor:
    return Actor(user_id=user.id, is_superuser=user.is_superuser)


@inject
async def optional_actor(
    request: Request,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    authenticate: Authenticate = Depends(Provide[Container.identity.authenticate]),
) -> Actor | None:
    """For public reads that show more to some callers: no token is an anonymous caller (None);
    a token that is sent must be valid (else 401, as everywhere)."""
    if not token:
        return None
    user = await authenticate(token)
    request.state.user_id = user.id  # for the request log line
    return Actor(user_id=user.id, is_superuser=user.is_superuser)


CurrentUser = Annotated[UserView, Depends(current_user)]
CurrentActor = Annotated[Actor, Depends(current_actor)]
OptionalActor = Annotated[Actor | None, Depends(optional_actor)]
# The OpenAPI ``openapi_extra`` of an operation whose token is optional: the empty requirement
# joins the bearer one (``security: [{OAuth2PasswordBearer: []}, {}]``).
OPTIONAL_AUTH: dict[str, object] = {"security": [{}]}
