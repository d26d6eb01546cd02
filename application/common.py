"""Small things every context's use cases share: who is acting, and the 'not given' marker."""

from __future__ import annotations

import asyncio
import enum
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from domain.errors import Conflict, Forbidden

T = TypeVar("T")
TRANSIENT_ATTEMPTS = 3


class Unset(enum.Enum):
    """Marks a PATCH field the caller did not send (``None`` is a real value: 'clear it')."""

    UNSET = "UNSET"


UNSET = Unset.UNSET


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated caller, as far as authorisation needs to know."""

    user_id: int
    is_superuser: bool = False

    def require_superuser(self) -> None:
        if not self.is_superuser:
            raise Forbidden("Superuser privileges required")

    def require_owner_or_superuser(self, owner_id: int) -> None:
        if not (self.is_superuser or self.user_id == owner_id):
            raise Forbidden("Only the owner or a superuser may do this")


class TransientConflict(Conflict):
    """The transaction lost a race the database resolved by aborting it (deadlock, serialization
    failure, a busy SQLite file). The unit of work raises it; a use case runs itself again
    (``retry_transient``); if every attempt loses, the caller gets a 409 ``conflict`` and may retry
    (docs/adr/0007-transient-conflicts.md)."""

    def __init__(self, detail: str = "A concurrent change got in the way; please retry") -> None:
        super().__init__(detail)


async def retry_transient(
    run: Callable[[], Awaitable[T]], attempts: int = TRANSIENT_ATTEMPTS, *, base_delay: float = 0.01
) -> T:
    """Runs ``run`` (one whole unit of work) again after a ``TransientConflict``, with a short
    jittered, growing pause so the two losers of a deadlock do not collide again."""
    for attempt in range(1, attempts + 1):
        try:
            return await run()
        except TransientConflict:
            if attempt == attempts:
                raise
            await asyncio.sleep(base_delay * attempt * (1 + random.random()))  # noqa: S311 - jitter
    raise AssertionError("unreachable")
