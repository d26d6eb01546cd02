"""Resolving use cases from the application's own container inside FastAPI dependencies.

``Depends(Provide[...])`` with ``@inject`` hands FastAPI dependency-injector's marker, a *sync*
callable, so FastAPI ran every injected dependency through the thread pool: a thread hop per use
case per request (measured: docs/adr/0006-dependency-resolution.md). ``use(...)`` is an async
dependency that asks ``request.app.state.container`` for the provider, so resolution stays on the
event loop, costs one provider call, and each app (tests build several) uses its own container
with no global wiring to forget.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, Request

from infrastructure.container import Container


def use(select: Callable[[Container], Any]) -> Any:
    """``Annotated[SignUp, use(lambda c: c.identity.sign_up)]``: the provider's instance."""

    async def resolve(request: Request) -> Any:
        return select(request.app.state.container)()

    return Depends(resolve)
