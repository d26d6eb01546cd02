"""The one way a write use case touches the database: ``Transactions``.

It opens a unit of work, runs the work inside it, commits once, and, when the adapter reports
a ``TransientConflict`` (deadlock, serialization failure, lock wait timeout, busy SQLite file),
runs the *whole* work again in a fresh unit of work, a bounded number of times with a growing,
jittered pause, so the two losers of a deadlock do not collide again. Work that raises anything
else is rolled back and the error propagates unchanged (docs/adr/0007-transient-conflicts.md).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from application.errors import TransientConflict
from application.ports import UnitOfWork

U = TypeVar("U", bound=UnitOfWork)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``attempts`` runs in all; before run ``n + 1`` the helper sleeps ``delay(n)`` seconds:
    ``base_delay * n`` stretched by a random factor in [1, 2)."""

    attempts: int = 3
    base_delay: float = 0.01
    jitter: Callable[[], float] = field(default=random.random, compare=False)

    def delay(self, attempt: int) -> float:
        return self.base_delay * attempt * (1 + self.jitter())


class Transactions(Generic[U]):
    """Runs work in a unit of work of type ``U`` (a context's narrow unit-of-work protocol)."""

    def __init__(
        self,
        uow: Callable[[], U],
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._uow, self._policy, self._sleep = uow, policy or RetryPolicy(), sleep

    async def __call__(self, work: Callable[[U], Awaitable[T]]) -> T:
        """The result of ``work`` once its unit of work has committed."""
        attempt = 1
        while True:
            try:
                async with self._uow() as uow:
                    result = await work(uow)
                    await uow.commit()
                return result
            except TransientConflict:
                if attempt >= self._policy.attempts:
                    raise
                await self._sleep(self._policy.delay(attempt))
                attempt += 1
