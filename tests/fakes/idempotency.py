"""Fake of the idempotency-key repository: one record per (user, key), rolled back with its
unit of work like the SQL row."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from application.idempotency import IdempotentRequest, KeyRecord, StoredResponse

if TYPE_CHECKING:
    from tests.fakes.uow import FakeUnitOfWork


class FakeIdempotencyRepository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    async def claim(self, request: IdempotentRequest, now: datetime) -> KeyRecord | None:
        self._uow.db.run("idempotency.claim")
        keys = self._uow.state.idempotency_keys
        found = keys.get((request.user_id, request.key))
        if found is None:
            keys[(request.user_id, request.key)] = (request.fingerprint, None, now)
            return None
        fingerprint, response, _ = found
        return KeyRecord(fingerprint, response)

    async def complete(self, request: IdempotentRequest, response: StoredResponse) -> None:
        self._uow.db.run("idempotency.complete")
        keys = self._uow.state.idempotency_keys
        fingerprint, _, claimed_at = keys[(request.user_id, request.key)]
        keys[(request.user_id, request.key)] = (fingerprint, response, claimed_at)

    async def purge(self, before: datetime) -> int:
        self._uow.db.run("idempotency.purge")
        keys = self._uow.state.idempotency_keys
        old = [k for k, (_, _, claimed_at) in keys.items() if claimed_at < before]
        for k in old:
            del keys[k]
        return len(old)
