"""What the write benchmarks share (transfers.py, scale.py): bench accounts opened in bulk, and
the wrk scripts that POST transfers (each with its own Idempotency-Key) or other JSON."""

from __future__ import annotations

import secrets

import asyncpg


async def open_accounts(dsn: str, count: int, owner: str = "benchroot") -> int:
    """``count`` accounts of ``owner`` with a large opening deposit each (bulk SQL, entries
    included, so ``bazaar ledger verify`` holds); returns the first account id."""
    conn = await asyncpg.connect(dsn)
    try:
        owner_id = await conn.fetchval("SELECT id FROM users WHERE username = $1", owner)
        first = await conn.fetchval("SELECT coalesce(max(id), 0) + 1 FROM accounts")
        await conn.execute(
            """
            WITH new AS (
              INSERT INTO accounts (owner_id, name, balance, created_at)
              SELECT $1, 'bench ' || g, 1000000.00, now() FROM generate_series($2::int, $3::int) g
              RETURNING id, balance, created_at)
            INSERT INTO ledger_entries (account_id, kind, amount, balance_after, created_at)
            SELECT id, 'deposit', balance, balance, created_at FROM new
            """,
            owner_id,
            first,
            first + count - 1,
        )
        await conn.execute("VACUUM ANALYZE accounts")
        return int(first)
    finally:
        await conn.close()


def lua_post(path: str, token: str, seed: int, body: str, key: bool = False) -> str:
    """A wrk script POSTing JSON with the bearer token: ``body`` is Lua code building the
    request body (``n`` counts requests, ``nonce`` is fresh per script, so per wrk run)."""
    idempotency = (
        '  wrk.headers["Idempotency-Key"] = string.format("%s-%d-%d", nonce, n, math.random(1, 1000000000))\n'
        if key
        else ""
    )
    return f"""
math.randomseed({seed})
wrk.method = "POST"
wrk.path = "{path}"
wrk.headers["Authorization"] = "Bearer {token}"
wrk.headers["Content-Type"] = "application/json"
local n = 0
local nonce = "{secrets.token_hex(4)}"
request = function()
  n = n + 1
{idempotency}{body}
  return wrk.format(nil, nil, nil, body)
end
"""


def lua_transfers(token: str, first: int, count: int) -> str:
    body = f"""  local a = math.random({first}, {first + count - 1})
  local b = math.random({first}, {first + count - 2})
  if b >= a then b = b + 1 end
  local body = string.format('{{"from_account_id":%d,"to_account_id":%d,"amount":"0.01"}}', a, b)"""
    return lua_post("/api/v1/transfers", token, 20261201, body, key=True)
