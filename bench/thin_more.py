"""The thin anchor (../shared/bench/anchors/thin_fastapi.py) plus the reads it lacks, written the
same way: FastAPI routing with typed, validated parameters, one asyncpg statement, orjson bytes;
no ORM, no response models, no middleware. Bazaar's deep cursor page, search and ``/users/me``
are compared with these (issue 20).

* ``GET /thin/items?limit=&after_created_at=&after_id=``: a keyset page of active items, newest
  first, as Bazaar's cursor page reads it (the cursor's two values given as plain parameters).
* ``GET /thin/items/search?q=&min_price=&max_price=&tag=&limit=``: Bazaar's search filter; the
  title pattern is rendered into the SQL as Bazaar renders it (ADR 9: a bound pattern gets a
  generic plan that is 10x slower), the rest is bound.
* ``GET /thin/users/me`` with ``Authorization: Bearer``: the token checked with PyJWT (HS256,
  ``SECRET_KEY``, as Bazaar signs it), then the user's row.

Run from ``bench/`` with the anchors' directory on ``PYTHONPATH`` (the harness does):
``uvicorn thin_more:app --loop uvloop --http httptools --no-access-log``.
"""

from __future__ import annotations

import os
from datetime import datetime
from decimal import Decimal
from typing import Annotated

import jwt
import orjson
from fastapi import Header, Query, Request
from fastapi.responses import Response
from raw_asyncpg import COLUMNS, TAGS_LATERAL, to_dict
from thin_fastapi import app, json_response

SECRET_KEY = os.environ.get("SECRET_KEY", "")
ACTIVE_TOTAL = "(SELECT count(*) FROM items WHERE is_active) AS total"
DEEP_SQL = (
    f"SELECT {COLUMNS}, coalesce(tg.tags, '[]') AS tags, {ACTIVE_TOTAL}"
    " FROM (SELECT * FROM items WHERE is_active AND (created_at, id) < ($2, $3)"
    " ORDER BY created_at DESC, id DESC LIMIT $1) i"
    f" {TAGS_LATERAL} ORDER BY i.created_at DESC, i.id DESC"
)
USER_SQL = (
    "SELECT id, email, username, full_name, is_active, is_superuser, created_at, updated_at"
    " FROM users WHERE id = $1 AND NOT is_deleted"
)


@app.get("/thin/items")
async def deep_page(
    request: Request,
    after_created_at: datetime,
    after_id: int,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> Response:
    async with request.app.state.pool.acquire() as conn:
        rows = await conn.fetch(DEEP_SQL, limit, after_created_at, after_id)
    total = rows[0]["total"] if rows else 0
    return json_response({"items": [to_dict(r) for r in rows], "total": total, "limit": limit})


def _literal(text: str) -> str:
    """An ILIKE pattern for ``text`` as an SQL literal: %, _ and \\ matched literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return "'%" + escaped.replace("'", "''") + "%'"


@app.get("/thin/items/search")
async def search(
    request: Request,
    q: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    tag: Annotated[list[str] | None, Query(max_length=5)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> Response:
    conds, args = ["is_active"], [limit]
    if q is not None:
        conds.append(f"title ILIKE {_literal(q)} ESCAPE '\\'")
    if min_price is not None:
        args.append(min_price)
        conds.append(f"price >= ${len(args)}")
    if max_price is not None:
        args.append(max_price)
        conds.append(f"price <= ${len(args)}")
    for name in tag or ():
        args.append(name)
        conds.append(
            "EXISTS (SELECT 1 FROM item_tags it JOIN tags t ON t.id = it.tag_id"
            f" WHERE it.item_id = items.id AND t.name = ${len(args)})"
        )
    where = " AND ".join(conds)
    sql = (
        f"SELECT {COLUMNS}, coalesce(tg.tags, '[]') AS tags,"
        f" (SELECT count(*) FROM items WHERE {where}) AS total"
        f" FROM (SELECT * FROM items WHERE {where} ORDER BY created_at DESC, id DESC LIMIT $1) i"
        f" {TAGS_LATERAL} ORDER BY i.created_at DESC, i.id DESC"
    )
    async with request.app.state.pool.acquire() as conn:
        rows = await conn.fetch(sql, *args)
    total = rows[0]["total"] if rows else 0
    return json_response({"items": [to_dict(r) for r in rows], "total": total, "limit": limit})


@app.get("/thin/users/me")
async def me(request: Request, authorization: Annotated[str, Header()] = "") -> Response:
    scheme, _, token = authorization.partition(" ")
    try:
        if scheme.lower() != "bearer":
            raise jwt.InvalidTokenError("not a bearer token")
        user_id = int(jwt.decode(token, SECRET_KEY, algorithms=["HS256"])["sub"])
    except (jwt.PyJWTError, KeyError, ValueError):
        return json_response({"detail": "Not authenticated"}, 401)
    async with request.app.state.pool.acquire() as conn:
        row = await conn.fetchrow(USER_SQL, user_id)
    if row is None:
        return json_response({"detail": "Not authenticated"}, 401)
    return Response(orjson.dumps(dict(row)), media_type="application/json")
