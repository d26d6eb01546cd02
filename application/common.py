"""Small things every context's use cases share: who is acting, and the 'not given' marker."""

from __future__ import annotations

import asyncio
import enum
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from domain.errors import Forbidden

T = TypeVar("T")


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


class TransientConflict(Exception):
    """A database conflict that a fresh attempt may not hit (serialization failure, deadlock,
    a busy SQLite file). Adapters raise it; ``retry_transient`` reruns the whole use case."""


async def retry_transient(
    attempt: Callable[[], Awaitable[T]], *, attempts: int = 3, base_delay: float = 0.01
) -> T:
    """Run ``attempt`` (a whole unit of work) up to ``attempts`` times while it fails with
    ``TransientConflict``, sleeping a short jittered, growing delay between tries
    (docs/adr/0007-transient-conflicts.md). The last failure propagates."""
    for number in range(1, attempts + 1):
        try:
            return await attempt()
        except TransientConflict:
            if number == attempts:
                raise
            await asyncio.sleep(base_delay * number * (1 + random.random()))  # noqa: S311 - jitter
    raise AssertionError("unreachable")
