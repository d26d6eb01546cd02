"""Idempotency keys, for any write a client may retry (deposits and transfers now; orders and
payments next).

The key's record is written in the same transaction as the effect: the first request claims the
key (a row keyed by user and key, holding the fingerprint of method + path + body), does its
work, and stores the response it answers; a crash or a failure leaves neither the effect nor the
record. A repeat with the same fingerprint replays the stored response; with another, it is 422
``idempotency-key-reused``; one that arrives while the first is in flight waits for it where the
database can (PostgreSQL: the claim blocks on the first's row) and then replays, else it is 409
``idempotency-key-in-use``. A request that failed stored nothing: retrying it runs it again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar

from application.ports import Clock, UnitOfWork
from domain.errors import IdempotencyKeyInUse, IdempotencyKeyReused

T = TypeVar("T")
KEY_MAX = 255
KEEP_FOR = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """What the first request answered: its status and its body, exactly."""

    status: int
    body: str


@dataclass(frozen=True, slots=True)
class KeyRecord:
    fingerprint: str
    response: StoredResponse | None  # None while the first request is in flight


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    """A request that carried an ``Idempotency-Key``: whose, which key, and the fingerprint of
    what was asked (method, path and body)."""

    user_id: int
    key: str
    fingerprint: str


class IdempotencyRepository(Protocol):
    async def claim(self, request: IdempotentRequest, now: datetime) -> KeyRecord | None:
        """Claims the key for this transaction; None when this is its first use, else the record
        of the earlier use (committed, or in flight where the database cannot wait for it)."""
        ...

    async def complete(self, request: IdempotentRequest, response: StoredResponse) -> None: ...

    async def purge(self, before: datetime) -> int:
        """Deletes the keys claimed before ``before``; returns how many."""
        ...


class HasIdempotency(Protocol):
    @property
    def idempotency(self) -> IdempotencyRepository: ...


class IdempotencyUnitOfWork(UnitOfWork, HasIdempotency, Protocol):
    pass


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the caller answers: the response, and whether it is a replay of an earlier one."""

    response: StoredResponse
    replayed: bool = False


Presenter = Callable[[T], StoredResponse]


@dataclass(frozen=True, slots=True)
class Idempotency(Generic[T]):
    """How a write answers: ``present`` turns its result into the response (stored when the
    request carried a key), ``request`` is None when it did not."""

    present: Presenter[T]
    request: IdempotentRequest | None = None


async def run_once(
    uow: HasIdempotency, idempotency: Idempotency[T], now: datetime, work: Callable[[], Awaitable[T]]
) -> Outcome:
    """Inside the caller's unit of work: replay, refuse, or do ``work`` and record its answer."""
    request = idempotency.request
    if request is not None:
        record = await uow.idempotency.claim(request, now)
        if record is not None:
            if record.fingerprint != request.fingerprint:
                raise IdempotencyKeyReused("This Idempotency-Key was used with a different request")
            if record.response is None:
                raise IdempotencyKeyInUse("A request with this Idempotency-Key is still being processed")
            return Outcome(record.response, replayed=True)
    response = idempotency.present(await work())
    if request is not None:
        await uow.idempotency.complete(request, response)
    return Outcome(response)


class PurgeIdempotencyKeys:
    """For ``bazaar purge``: forget the keys older than ``KEEP_FOR``."""

    def __init__(
        self, tx: Callable[[Callable[[HasIdempotency], Awaitable[int]]], Awaitable[int]], clock: Clock
    ) -> None:
        self._tx, self._clock = tx, clock

    async def __call__(self) -> int:
        cutoff = self._clock.now() - KEEP_FOR

        async def work(uow: HasIdempotency) -> int:
            return await uow.idempotency.purge(cutoff)

        return await self._tx(work)
