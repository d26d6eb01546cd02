"""The idempotency-key repository: one row per (user, key), claimed in the transaction of the
effect it guards.

The claim is an ``INSERT ... ON CONFLICT DO NOTHING``: the first request inserts its row; on
PostgreSQL a second one with the same key *waits* on that uncommitted row and, once the first
commits, finds it completed (a replay) or, if the first rolled back, inserts its own. SQLite
serialises writers (BEGIN IMMEDIATE), so there too the second sees only a finished first.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from application.idempotency import IdempotentRequest, KeyRecord, StoredResponse
from infrastructure.observability.metrics import IDEMPOTENT_REPLAYS
from infrastructure.persistence.models import IdempotencyKeyRow, is_mysql_family

_keys = cast(Table, IdempotencyKeyRow.__table__)


DUPLICATE_KEY = "Duplicate entry"  # MariaDB's ER_DUP_ENTRY (1062) message


class SqlIdempotencyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, request: IdempotentRequest, now: datetime) -> KeyRecord | None:
        values = {"user_id": request.user_id, "key": request.key, "fingerprint": request.fingerprint}
        values["created_at"] = now
        dialect = self._session.get_bind().dialect
        if is_mysql_family(dialect):
            # No ON CONFLICT, and ON DUPLICATE KEY UPDATE cannot say whether it inserted: a plain
            # INSERT in a savepoint (InnoDB also waits on an uncommitted duplicate), and a
            # duplicate key means the key was used before.
            try:
                async with self._session.begin_nested():
                    await self._session.execute(insert(_keys).values(values))
                return None
            except IntegrityError as error:
                if DUPLICATE_KEY not in str(error.orig):
                    raise
        else:
            upsert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
            stmt = (
                upsert(_keys)
                .values(values)
                .on_conflict_do_nothing(index_elements=[_keys.c.user_id, _keys.c.key])
                .returning(_keys.c.user_id)
            )
            if (await self._session.execute(stmt)).first() is not None:
                return None
        row = (
            await self._session.execute(
                select(_keys.c.fingerprint, _keys.c.status, _keys.c.body).where(
                    _keys.c.user_id == request.user_id, _keys.c.key == request.key
                )
            )
        ).one()
        response = StoredResponse(row.status, row.body) if row.status is not None else None
        if response is not None and row.fingerprint == request.fingerprint:
            IDEMPOTENT_REPLAYS.inc()
        return KeyRecord(row.fingerprint, response)

    async def complete(self, request: IdempotentRequest, response: StoredResponse) -> None:
        await self._session.execute(
            update(_keys)
            .where(_keys.c.user_id == request.user_id, _keys.c.key == request.key)
            .values(status=response.status, body=response.body)
        )

    async def purge(self, before: datetime) -> int:
        result = await self._session.execute(delete(_keys).where(_keys.c.created_at < before))
        return int(result.rowcount)  # type: ignore[attr-defined]
