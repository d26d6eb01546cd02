"""First come, first served access to a connection pool.

asyncpg's pool and SQLAlchemy's queue both hand a connection that was just given back to
whichever task asks next: a task arriving at that moment takes it ahead of those already
waiting, which are woken only to wait again at the back. Under load a few requests then waited
ten times the median (a list page: p50 33 ms, p99 326 ms with 32 clients and 10 connections).
A semaphore of the pool's size in front of it serves waiters in arrival order (asyncio's
semaphore is fair since Python 3.11), so the tail follows the median
(docs/adr/0020-native-read-path.md).
"""

from __future__ import annotations

import asyncio
import weakref
from types import TracebackType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine


class Turns:
    """``async with turns:`` around each use of one of ``size`` connections. A wait for a turn
    is bounded by ``timeout`` seconds, as a wait for a connection is (``TimeoutError``: a 503)."""

    def __init__(self, size: int, timeout: float) -> None:
        self._free = asyncio.Semaphore(size)
        self._timeout = timeout

    async def __aenter__(self) -> None:
        if self._free.locked():  # no timer when a turn is free: the usual case costs nothing
            async with asyncio.timeout(self._timeout):
                await self._free.acquire()
        else:
            await self._free.acquire()

    async def __aexit__(
        self, _type: type[BaseException] | None, _error: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self._free.release()


_BY_POOL: weakref.WeakKeyDictionary[Any, Turns] = weakref.WeakKeyDictionary()


def engine_turns(engine: AsyncEngine, timeout: float) -> Turns | None:
    """The turns of the engine's pool (shared by every copy of the engine and every container
    on it): as many as the pool can hand out, None for a pool without a bound."""
    pool = engine.sync_engine.pool
    turns = _BY_POOL.get(pool)
    if turns is None:
        size, overflow = getattr(pool, "size", None), getattr(pool, "_max_overflow", None)
        if not callable(size) or not isinstance(overflow, int) or overflow < 0:
            return None
        turns = _BY_POOL[pool] = Turns(int(size()) + overflow, timeout)
    return turns
