"""Benchmark driver: Bazaar side by side with the anchors (issue 9). Started by ``bench/run.sh``,
which installs the tools and exports the configuration; every setting is an environment variable
documented at the top of run.sh and in bench/README.md.

Phases, in order:
  1. data        fresh database, ``bazaar migrate``, ``bazaar seed``, VACUUM ANALYZE
  2. sql         one debug pass per app through ``sqlcount_proxy.py``: statements per request,
                 and a probe of every endpoint (one that does not answer 2xx is reported n/a)
  3. load        ROUNDS rounds, app order rotated, one server at a time; per endpoint a wrk
                 warm-up then ``wrk -t1 -cCONNS -dDURATION --latency``; RSS after each endpoint
  4. memory      Bazaar RSS after MEM_BASE and after MEM_REQUESTS requests on item by id
  5. explain     EXPLAIN (ANALYZE, BUFFERS) of the list statements Bazaar sends (PostgreSQL log)
  6. scale       (SCALE=1) second database with SCALE_ITEMS items: item by id and list again
  7. profile     (PROFILE=1) py-spy flame graph of Bazaar under load
  8. report      table, ratios, latest.json, latest.png (bench/report.py)

Servers are started in their own process group and stopped by PID on every exit path.
Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import platform
import random
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import report  # noqa: E402


def env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


SHARED = Path(env("BAZAAR_SHARED", str(REPO.parent / "shared"))).resolve()
ANCHORS_DIR = SHARED / "bench" / "anchors"
sys.path.insert(0, str(ANCHORS_DIR))
import wrkrun  # noqa: E402  (bench/: the p99.9 hook every benchmark appends)
from processes import tree_rss_kib  # noqa: E402  (bench/: shared with the other scripts)
from summarize import parse_wrk  # noqa: E402  (the anchors' wrk parser, reused)

# ---- configuration ------------------------------------------------------------------------------
ROUNDS = env_int("ROUNDS", 3)
DURATION = env("DURATION", "15s")
WARMUP = env("WARMUP", "5s")
CONNS = env_int("CONNS", 32)
APPS = [a for a in env("APPS", "bazaar,raw,flat,thin").split(",") if a]
ONLY_ENDPOINTS = [e for e in env("ENDPOINTS", "").split(",") if e]
PGHOST, PGPORT, PGUSER = "127.0.0.1", env_int("PGPORT", 5432), env("PGUSER", "postgres")
BENCH_DB = env("BENCH_DB", "bazaar_bench")
SCALE_DB = env("SCALE_DB", "bazaar_bench_scale")
REUSE_DB = env("REUSE_DB", "0") == "1"
USERS, ITEMS, SCALE_ITEMS = env_int("USERS", 1000), env_int("ITEMS", 10000), env_int("SCALE_ITEMS", 100000)
TAGS = env("TAGS", "")
SCALE = env("SCALE", "0") == "1"
SCALE_ROUNDS = env_int("SCALE_ROUNDS", ROUNDS)
PROFILE = env("PROFILE", "0") == "1"
PROFILE_ENDPOINTS = [e for e in env("PROFILE_ENDPOINTS", "list").split(",") if e]
PROFILE_SECONDS = env_int("PROFILE_SECONDS", 20)
MEM_REQUESTS, MEM_BASE = env_int("MEM_REQUESTS", 200_000), env_int("MEM_BASE", 20_000)
MEM_MAX_SECONDS = env_int("MEM_MAX_SECONDS", 1200)
MEM_APP = env("MEM_APP", "bazaar")
BAZAAR_CMD = env("BAZAAR_CMD", "")
EXPLAIN_APPS = [a for a in env("EXPLAIN_APPS", "bazaar").split(",") if a]
WRK_TIMEOUT = env("WRK_TIMEOUT", "10s")
TOKEN_CONNS = env_int("TOKEN_CONNS", CONNS)
SQL_SAMPLES, SQL_SAMPLES_TOKEN = env_int("SQL_SAMPLES", 200), env_int("SQL_SAMPLES_TOKEN", 20)
PORT, PROXY_PORT, PROXY_CTL = env_int("PORT", 8111), env_int("PROXY_PORT", 5433), env_int("PROXY_CTL", 5434)
BENCH_VENV = Path(env("BENCH_VENV", "/tmp/bench-venv"))
BAZAAR_VENV = Path(env("BAZAAR_VENV", str(REPO / ".venv")))
OUT = Path(env("OUT", str(HERE / "results")))
TMP = OUT / "tmp"
LUA_SEED = 12345
STOP_MARKER = TMP / "wrk.stop"
DEEP_PAGE = env_int("DEEP_PAGE", 100)
BENCH_EMAIL, BENCH_USERNAME = "bench@example.com", "bench_user"
BENCH_PASSWORD = "bench-password-123"  # a throwaway user in a throwaway local database
SECRET_KEY = secrets.token_urlsafe(32)

ANCHOR_APPS = ("raw", "flat", "thin")
ENDPOINTS = ["item", "list", "deep", "search", "me", "create", "token"]
# thin: the anchor (item, list) plus bench/thin_more.py, the same way (deep page, search, me)
SERVES = {
    "bazaar": ENDPOINTS,
    "raw": ["item", "list"],
    "flat": ["item", "list"],
    "thin": ["item", "list", "deep", "search", "me"],
}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def pg_url(db: str, port: int = PGPORT, driver: str = "postgresql") -> str:
    return f"{driver}://{PGUSER}@{PGHOST}:{port}/{db}"


# ---- servers ------------------------------------------------------------------------------------
LIVE: dict[int, subprocess.Popen[bytes]] = {}


def stop_proc(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process we started, and its process group (it is the group leader)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    LIVE.pop(proc.pid, None)


def stop_all() -> None:
    for proc in list(LIVE.values()):
        stop_proc(proc)


def spawn(cmd: list[str], cwd: Path, extra_env: dict[str, str], logfile: Path) -> subprocess.Popen[bytes]:
    with open(logfile, "ab") as fh:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env={**os.environ, **extra_env},
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    LIVE[proc.pid] = proc
    return proc


@dataclass
class Server:
    app: str
    db: str
    db_port: int = PGPORT
    proc: subprocess.Popen[bytes] | None = None
    startup_s: float | None = None

    def command(self) -> tuple[list[str], Path, dict[str, str], str]:
        if self.app == "bazaar":
            env_ = {
                "ENVIRONMENT": "production",
                "SECRET_KEY": SECRET_KEY,
                "DATABASE_URL": pg_url(self.db, self.db_port, "postgresql+asyncpg"),
                "ACCESS_TOKEN_EXPIRE_MINUTES": "1440",
            }
            cmd = [str(BAZAAR_VENV / "bin" / "bazaar"), "serve", "--host", "127.0.0.1"]
            cmd = [*cmd, "--port", str(PORT), "--workers", "1"]
            if BAZAAR_CMD:  # testing hook: another server in Bazaar's place ({port} is substituted)
                cmd = BAZAAR_CMD.replace("{port}", str(PORT)).split()
            return cmd, REPO, env_, "/health/live"
        module = {"raw": "raw_asyncpg:app", "flat": "flat_fastapi:app", "thin": "thin_more:app"}[self.app]
        driver = "postgresql+asyncpg" if self.app == "flat" else "postgresql"
        cmd = [
            str(BENCH_VENV / "bin" / "uvicorn"),
            module,
            "--host",
            "127.0.0.1",
            "--port",
            str(PORT),
            "--workers",
            "1",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        env_ = {"DATABASE_URL": pg_url(self.db, self.db_port, driver)}
        if self.app == "thin":  # bench/thin_more.py imports the anchor: both on the path
            env_ |= {"PYTHONPATH": f"{ANCHORS_DIR}:{HERE}", "SECRET_KEY": SECRET_KEY}
        return cmd, ANCHORS_DIR, env_, "/items?limit=1"

    def start(self) -> Server:
        cmd, cwd, env_, ready_path = self.command()
        t0 = time.perf_counter()
        self.proc = spawn(cmd, cwd, env_, TMP / f"{self.app}.server.log")
        deadline = t0 + 60
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                break
            with contextlib.suppress(OSError, http.client.HTTPException):
                status = request("GET", ready_path, timeout=1)[0]
                # Bazaar must say 200 on /health/live; an anchor has no probe, any answer means up
                if status == 200 or (self.app != "bazaar" and status < 600):
                    self.startup_s = time.perf_counter() - t0
                    return self
            time.sleep(0.01)
        tail = (TMP / f"{self.app}.server.log").read_text()[-3000:]
        self.stop()
        raise RuntimeError(f"{self.app} did not answer {ready_path} within 60 s:\n{tail}")

    def stop(self) -> None:
        if self.proc is not None:
            stop_proc(self.proc)
            self.proc = None

    def rss_mib(self) -> float:
        assert self.proc is not None
        return tree_rss_kib(self.proc.pid) / 1024

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def request(
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 30,
    conn: http.client.HTTPConnection | None = None,
) -> tuple[int, bytes]:
    own = conn is None
    c = conn or http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        resp = c.getresponse()
        return resp.status, resp.read()
    finally:
        if own:
            c.close()


# ---- database -----------------------------------------------------------------------------------
async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(pg_url("postgres"), ssl=False)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def db_exec(db: str, *sql: str) -> None:
    conn = await asyncpg.connect(pg_url(db), ssl=False)
    try:
        for s in sql:
            await conn.execute(s)
    finally:
        await conn.close()


async def db_fetch(db: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(pg_url(db), ssl=False)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


def bazaar_cli(db: str, *args: str) -> None:
    env_ = {**os.environ, "DATABASE_URL": pg_url(db, driver="postgresql+asyncpg")}
    log(f"bazaar {' '.join(args)}  ({db})")
    subprocess.run([str(BAZAAR_VENV / "bin" / "bazaar"), *args], cwd=REPO, env=env_, check=True)


WARNINGS: list[str] = []


def warn(msg: str) -> None:
    WARNINGS.append(msg)
    log("WARNING: " + msg)


def has_seed_command() -> bool:
    cmd = [str(BAZAAR_VENV / "bin" / "bazaar"), "seed", "--help"]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, check=False).returncode == 0


def prepare_database(db: str, items: int) -> dict[str, Any]:
    if REUSE_DB:
        log(f"REUSE_DB=1: using database {db} as it is")
    else:
        log(f"recreating database {db}")
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        asyncio.run(_admin(f'CREATE DATABASE "{db}"'))
        bazaar_cli(db, "migrate")
        seed = ["seed", "--users", str(USERS), "--items", str(items), *(["--tags", TAGS] if TAGS else [])]
        if has_seed_command():
            bazaar_cli(db, *seed)
        else:
            warn(f"`bazaar seed` does not exist on this commit: {db} has no catalog data")
    asyncio.run(db_exec(db, "VACUUM ANALYZE"))
    return asyncio.run(dataset(db))


async def dataset(db: str) -> dict[str, Any]:
    """Ids, tag names and search parameters read from the seeded tables (empty when absent)."""
    conn = await asyncpg.connect(pg_url(db), ssl=False)
    try:
        tables = {r["relname"] for r in await conn.fetch("SELECT relname FROM pg_stat_user_tables")}
        data: dict[str, Any] = {"db": db, "tables": sorted(tables), "ids": [], "tags": []}
        if "items" not in tables:
            return data
        cols = {
            r["attname"]
            for r in await conn.fetch(
                "SELECT attname FROM pg_attribute WHERE attrelid = 'items'::regclass AND attnum > 0"
            )
        }
        active = " WHERE is_active" if "is_active" in cols else ""
        data["ids"] = [r["id"] for r in await conn.fetch(f"SELECT id FROM items{active} ORDER BY id")]
        data["counts"] = {
            t: await conn.fetchval(f"SELECT count(*) FROM {t}")
            for t in ("users", "items", "tags", "item_tags")
            if t in tables
        }
        if "tags" in tables and "item_tags" in tables:
            rows = await conn.fetch(
                "SELECT t.name, count(*) n FROM tags t JOIN item_tags it ON it.tag_id = t.id"
                " GROUP BY t.name ORDER BY n DESC, t.name"
            )
            data["tags"] = [r["name"] for r in rows]
        data["search"] = await search_params(conn, active, data["tags"])
        if active and "created_at" in cols:  # the last row before page DEEP_PAGE: thin's keyset
            row = await conn.fetchrow(
                f"SELECT created_at, id FROM items{active} ORDER BY created_at DESC, id DESC"
                " OFFSET $1 LIMIT 1",
                (DEEP_PAGE - 1) * 50 - 1,
            )
            if row is not None:
                data["deep_key"] = {"after_created_at": row["created_at"].isoformat(), "after_id": row["id"]}
        return data
    finally:
        await conn.close()


async def search_params(conn: asyncpg.Connection, active: str, tags: list[str]) -> dict[str, str]:
    """q, a price range and one tag that together match some items (env SEARCH_* override)."""
    lo, hi = await conn.fetchrow(
        f"SELECT percentile_disc(0.2) WITHIN GROUP (ORDER BY price)::text,"
        f" percentile_disc(0.8) WITHIN GROUP (ORDER BY price)::text FROM items{active}"
    )
    tag = tags[0] if tags else ""
    titles = [r["title"] for r in await conn.fetch(f"SELECT title FROM items{active} LIMIT 5000")]
    words = Counter(w for t in titles for w in set(re.findall(r"[a-z]{3,}", t.lower())))
    q = words.most_common(1)[0][0] if words else "a"
    return {
        "q": env("SEARCH_Q", q),
        "min_price": env("SEARCH_MIN_PRICE", lo or "0"),
        "max_price": env("SEARCH_MAX_PRICE", hi or "1000000"),
        "tag": env("SEARCH_TAG", tag),
    }


# ---- endpoints: wrk scripts and sample requests --------------------------------------------------
@dataclass
class Ctx:
    """What the Bazaar requests need: a token, the bench user's id, the deep cursor."""

    data: dict[str, Any]
    token: str = ""
    user_id: int | None = None
    cursor: str | None = None
    nonce: str = field(default_factory=lambda: secrets.token_hex(4))


def prefix(app: str) -> str:
    return "/api/v1" if app == "bazaar" else ""


def search_path(ctx: Ctx, app: str = "bazaar") -> str:
    base = "/api/v1/items?" if app == "bazaar" else "/thin/items/search?"
    return base + urllib.parse.urlencode({**ctx.data.get("search", {}), "limit": 50})


def deep_path(ctx: Ctx, app: str) -> str:
    if app == "bazaar":
        return "/api/v1/items?" + urllib.parse.urlencode({"limit": 50, "cursor": ctx.cursor or ""})
    return "/thin/items?" + urllib.parse.urlencode({"limit": 50, **ctx.data.get("deep_key", {})})


def me_path(app: str) -> str:
    return "/api/v1/users/me" if app == "bazaar" else "/thin/users/me"


def lua_str(s: str) -> str:
    return json.dumps(s)  # a JSON string literal is a valid Lua string literal for ASCII text


def lua_script(app: str, ep: str, ctx: Ctx, stop_after: int = 0) -> str:
    """The wrk script for one app and endpoint; stop_after > 0 stops wrk after that many responses."""
    p = prefix(app)
    auth = f'wrk.headers["Authorization"] = {lua_str("Bearer " + ctx.token)}\n'
    head = f"math.randomseed({LUA_SEED})\n"
    if ep == "item":
        ids = ",".join(map(str, ctx.data["ids"]))
        body = (
            f"local ids = {{{ids}}}\n"
            f"request = function()\n"
            f'  return wrk.format("GET", {lua_str(p + "/items/")} .. ids[math.random(1, #ids)])\n'
            f"end\n"
        )
    elif ep == "list":
        body = f"wrk.path = {lua_str(p + '/items?limit=50')}\n"
    elif ep == "deep":
        body = f"wrk.path = {lua_str(deep_path(ctx, app))}\n"
    elif ep == "search":
        body = f"wrk.path = {lua_str(search_path(ctx, app))}\n"
    elif ep == "me":
        body = f"wrk.path = {lua_str(me_path(app))}\n{auth}"
    elif ep == "create":
        tags = ",".join(lua_str(t) for t in ctx.data["tags"][:10]) or ""
        nonce = secrets.token_hex(4)  # a fresh title prefix per wrk run: titles are unique per owner
        body = (
            f'{auth}wrk.headers["Content-Type"] = "application/json"\n'
            f"local tags = {{{tags}}}\nlocal n = 0\n"
            f"request = function()\n"
            f"  n = n + 1\n"
            f'  local tag = ""\n'
            f"  if #tags > 0 then tag = '\"' .. tags[math.random(1, #tags)] .. '\"' end\n"
            f'  local body = string.format(\'{{"title":"bench {nonce} %d %d","description":'
            f'"created by the benchmark","price":"%d.%02d","tags":[%s]}}\',\n'
            f"    n, math.random(1, 1000000000), math.random(1, 999), math.random(0, 99), tag)\n"
            f'  return wrk.format("POST", "/api/v1/items", nil, body)\n'
            f"end\n"
        )
    elif ep == "token":
        form = urllib.parse.urlencode({"username": BENCH_EMAIL, "password": BENCH_PASSWORD})
        body = (
            f'wrk.method = "POST"\nwrk.path = "/api/v1/auth/token"\n'
            f'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
            f"wrk.body = {lua_str(form)}\n"
        )
    else:
        raise ValueError(ep)
    if stop_after:
        # wrk.thread:stop() ends the thread but wrk's main thread sleeps out -d; the marker file
        # tells the harness to interrupt it (SIGINT), after which wrk prints its summary.
        body += (
            f"local answered = 0\nresponse = function(status, headers, body)\n  answered = answered + 1\n"
            f"  if answered == {stop_after} then\n"
            f'    local f = io.open({lua_str(str(STOP_MARKER))}, "w")\n    if f then f:close() end\n'
            f"    wrk.thread:stop()\n  end\nend\n"
        )
    return head + body


def sample_requests(
    app: str, ep: str, ctx: Ctx, n: int
) -> list[tuple[str, str, dict[str, str], bytes | None]]:
    """n Python-side requests equivalent to the wrk script (for the probe and statement counts)."""
    p, rng = prefix(app), random.Random(LUA_SEED)
    bearer = {"Authorization": f"Bearer {ctx.token}"}
    out: list[tuple[str, str, dict[str, str], bytes | None]] = []
    for i in range(n):
        if ep == "item":
            out.append(("GET", f"{p}/items/{rng.choice(ctx.data['ids'])}", {}, None))
        elif ep == "list":
            out.append(("GET", f"{p}/items?limit=50", {}, None))
        elif ep == "deep":
            out.append(("GET", deep_path(ctx, app), {}, None))
        elif ep == "search":
            out.append(("GET", search_path(ctx, app), {}, None))
        elif ep == "me":
            out.append(("GET", me_path(app), bearer, None))
        elif ep == "create":
            tags = ctx.data["tags"][:1]
            doc = {
                "title": f"bench count {ctx.nonce} {secrets.token_hex(3)} {i}",
                "price": "12.50",
                "tags": tags,
            }
            out.append(
                (
                    "POST",
                    "/api/v1/items",
                    {**bearer, "Content-Type": "application/json"},
                    json.dumps(doc).encode(),
                )
            )
        elif ep == "token":
            form = urllib.parse.urlencode({"username": BENCH_EMAIL, "password": BENCH_PASSWORD}).encode()
            out.append(
                ("POST", "/api/v1/auth/token", {"Content-Type": "application/x-www-form-urlencoded"}, form)
            )
    return out


def precondition(app: str, ep: str, ctx: Ctx) -> str | None:
    """Why an endpoint cannot be run at all, before asking the server."""
    if ep not in SERVES[app] or (ONLY_ENDPOINTS and ep not in ONLY_ENDPOINTS):
        return "not served"
    if ep == "item" and not ctx.data["ids"]:
        return "no items table/rows in the database"
    if ep in ("me", "create", "token") and not ctx.token:
        return "no bench token (sign-up or login failed)"
    if ep == "deep" and app != "bazaar" and not ctx.data.get("deep_key"):
        return f"no key of page {DEEP_PAGE}"
    if ep == "deep" and app == "bazaar" and not ctx.cursor:
        return f"no cursor for page {DEEP_PAGE}"
    return None


def bazaar_session(ctx: Ctx, deep: bool = True) -> None:
    """Against a running Bazaar: sign the bench user up (once) and log in; find the deep cursor
    (walked again in every server session: a cursor need not survive a restart)."""
    if not ctx.token:
        doc = {"email": BENCH_EMAIL, "username": BENCH_USERNAME, "password": BENCH_PASSWORD}
        st, body = request(
            "POST", "/api/v1/users", {"Content-Type": "application/json"}, json.dumps(doc).encode()
        )
        if st not in (201, 409):
            log(f"bench user sign-up answered {st}: {body[:300]!r}")
        form = urllib.parse.urlencode({"username": BENCH_EMAIL, "password": BENCH_PASSWORD}).encode()
        st, body = request(
            "POST", "/api/v1/auth/token", {"Content-Type": "application/x-www-form-urlencoded"}, form
        )
        if st == 200:
            ctx.token = json.loads(body)["access_token"]
            st, body = request("GET", "/api/v1/users/me", {"Authorization": f"Bearer {ctx.token}"})
            ctx.user_id = json.loads(body).get("id") if st == 200 else None
        else:
            log(f"bench login answered {st}: {body[:300]!r}")
    if deep:
        ctx.cursor = walk_cursor(DEEP_PAGE)


def walk_cursor(page: int) -> str | None:
    """The cursor that fetches page ``page`` (1-based) of ``/api/v1/items?limit=50``."""
    cursor: str | None = None
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    try:
        for _ in range(page - 1):
            q = urllib.parse.urlencode({"limit": 50, **({"cursor": cursor} if cursor else {})})
            st, body = request("GET", f"/api/v1/items?{q}", conn=conn)
            if st != 200:
                return None
            cursor = json.loads(body).get("next_cursor")
            if not cursor:
                return None
        return cursor
    finally:
        conn.close()


async def delete_bench_items(db: str, user_id: int | None) -> None:
    """Remove what the write endpoint created, so later reads see the seeded data only."""
    if user_id is None:
        return
    conn = await asyncpg.connect(pg_url(db), ssl=False)
    try:
        n = await conn.execute("DELETE FROM items WHERE owner_id = $1", user_id)
        await conn.execute("VACUUM ANALYZE items")
        log(f"cleanup: {n} (bench user's items)")
    except asyncpg.PostgresError as e:
        log(f"cleanup of the bench user's items failed: {e}")
    finally:
        await conn.close()


# ---- phase: SQL statements per request through the counting proxy -------------------------------
def proxy_ctl(cmd: str) -> str:
    import socket

    with socket.create_connection(("127.0.0.1", PROXY_CTL), timeout=10) as s:
        s.sendall(cmd.encode() + b"\n")
        return s.makefile().read()


def sql_phase(db: str, apps: list[str], ctx: Ctx, unavailable: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Statement counts per app and endpoint; marks endpoints that do not answer 2xx unavailable."""
    py = str(BENCH_VENV / "bin" / "python")
    proxy = spawn(
        [py, str(ANCHORS_DIR / "sqlcount_proxy.py"), str(PROXY_PORT), str(PROXY_CTL), str(PGPORT)],
        ANCHORS_DIR,
        {},
        TMP / "proxy.log",
    )
    out: dict[str, Any] = {}
    try:
        time.sleep(1)
        for app in apps:
            log(f"sql: {app} through the counting proxy")
            with Server(app, db, PROXY_PORT) as srv:
                STARTUPS.setdefault(app, []).append(srv.startup_s)
                if app == "bazaar":
                    bazaar_session(ctx)
                for ep in ENDPOINTS:
                    reason = precondition(app, ep, ctx)
                    if reason is None:
                        reason = count_endpoint(app, ep, ctx, out)
                    if reason is not None and reason != "not served":
                        unavailable.setdefault(app, {})[ep] = reason
                        log(f"  {app} {ep}: n/a ({reason})")
                if app == "bazaar" and "create" not in unavailable.get(app, {}):
                    asyncio.run(delete_bench_items(db, ctx.user_id))
    finally:
        stop_proc(proxy)
    return out


def count_endpoint(app: str, ep: str, ctx: Ctx, out: dict[str, Any]) -> str | None:
    n = SQL_SAMPLES_TOKEN if ep == "token" else SQL_SAMPLES
    warm = 3 if ep == "token" else 20
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    try:
        for method, path, hdrs, body in sample_requests(app, ep, ctx, warm):
            st, resp = request(method, path, hdrs, body, conn=conn)
            if not 200 <= st < 300:
                return f"HTTP {st} on {method} {path.split('?')[0]}: {resp[:200].decode(errors='replace')}"
        time.sleep(0.2)  # statements sent after the last response (a pool's ROLLBACK) land first
        proxy_ctl("reset")
        bad = 0
        for method, path, hdrs, body in sample_requests(app, ep, ctx, n):
            bad += not 200 <= request(method, path, hdrs, body, conn=conn)[0] < 300
        time.sleep(0.2)
        d = json.loads(proxy_ctl("dump"))
    finally:
        conn.close()
    c = d["counts"]
    out.setdefault(app, {})[ep] = {
        "requests": n,
        "non2xx": bad,
        "statements": round((c.get("Q", 0) + c.get("E", 0)) / n, 2),
        "round_trips": round((c.get("Q", 0) + c.get("S", 0)) / n, 2),
        "counts": c,
        "by_text": [[t, round(k / n, 2)] for t, k in d["by_text"][:10]],
    }
    log(f"  {app} {ep}: {out[app][ep]['statements']} statements/request")
    return None


# ---- phase: load --------------------------------------------------------------------------------
STARTUPS: dict[str, list[float | None]] = {}


def wrk(script: str, duration: str, tag: str, latency: bool = True, conns: int = CONNS) -> Path:
    lua = TMP / f"{tag}.lua"
    # wrk's --latency stops at p99: the tail beyond it (issue 20) comes from the done() hook.
    lua.write_text(script + wrkrun.P999_HOOK)
    out = TMP / f"{tag}.wrk"
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{duration}", f"--timeout={WRK_TIMEOUT}", "-s", str(lua)]
    STOP_MARKER.unlink(missing_ok=True)
    with open(out, "w") as fh:
        proc = subprocess.Popen(
            [*cmd, *(["--latency"] if latency else []), f"http://127.0.0.1:{PORT}"],
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + _seconds(duration) + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if STOP_MARKER.exists():  # a stop_after script reached its count
                time.sleep(0.05)
                proc.send_signal(signal.SIGINT)
                STOP_MARKER.unlink(missing_ok=True)
            time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
    return out


_P999 = re.compile(r"p999_us=(\d+)")


def _seconds(duration: str) -> int:
    m = re.fullmatch(r"(\d+)([smh]?)", duration)
    assert m, duration
    return int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def load_phase(
    phase: str,
    db: str,
    apps: list[str],
    endpoints: list[str],
    rounds: int,
    ctx: Ctx,
    unavailable: dict[str, dict[str, str]],
) -> dict[str, Any]:
    """{app: {endpoint: [per-round figures]}}, apps rotated each round, one server at a time."""
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for r in range(1, rounds + 1):
        order = [apps[(i + r - 1) % len(apps)] for i in range(len(apps))]
        for app in order:
            eps = [e for e in endpoints if e in SERVES[app] and e not in unavailable.get(app, {})]
            eps = [e for e in eps if not ONLY_ENDPOINTS or e in ONLY_ENDPOINTS]
            if not eps:
                continue
            log(f"{phase} round {r}/{rounds}: {app} ({', '.join(eps)})")
            with Server(app, db) as srv:
                STARTUPS.setdefault(app, []).append(srv.startup_s)
                if app == "bazaar":
                    bazaar_session(ctx, deep="deep" in eps)
                for ep in eps:
                    if precondition(app, ep, ctx):
                        continue
                    tag = f"{phase}.{app}.{ep}.r{r}"
                    conns = TOKEN_CONNS if ep == "token" else CONNS
                    # a fresh script per run: the write's titles carry a per-script nonce
                    wrk(lua_script(app, ep, ctx), WARMUP, tag + ".warmup", latency=False, conns=conns)
                    fig = figures(wrk(lua_script(app, ep, ctx), DURATION, tag, conns=conns))
                    fig["round"] = r
                    fig["rss_mib"] = round(srv.rss_mib(), 1)
                    runs.setdefault(app, {}).setdefault(ep, []).append(fig)
                    log(
                        f"  {app:6} {ep:6} {fig.get('rps', 0):8.0f} req/s  p50 {fig.get('p50', 0):7.2f} ms"
                        f"  p99 {fig.get('p99', 0):7.2f} ms  rss {fig['rss_mib']} MiB"
                        f"{'  non-2xx ' + str(fig['non2xx']) if fig.get('non2xx') else ''}"
                    )
                    if ep == "create":
                        asyncio.run(delete_bench_items(db, ctx.user_id))
    return runs


def figures(path: Path) -> dict[str, Any]:
    text = path.read_text()
    try:
        d: dict[str, Any] = parse_wrk(str(path))
    except (AttributeError, ValueError):
        return {"error": text[-500:], "rps": 0.0}
    d["file"] = str(path.relative_to(OUT))
    if m := _P999.search(text):
        d["p999"] = int(m.group(1)) / 1000  # ms, as p50 and p99
    return d


# ---- phase: memory ------------------------------------------------------------------------------
def memory_phase(db: str, ctx: Ctx, app: str = MEM_APP) -> dict[str, Any] | None:
    """RSS of a fresh server after MEM_BASE, then after MEM_REQUESTS, requests on item by id."""
    if MEM_BASE <= 0 or MEM_REQUESTS <= MEM_BASE or app not in APPS or precondition(app, "item", ctx):
        return None
    if "item" in UNAVAILABLE.get(app, {}):
        return None
    log(f"memory: {app} RSS after {MEM_BASE} and after {MEM_REQUESTS} requests on item by id")
    with Server(app, db) as srv:
        STARTUPS.setdefault(app, []).append(srv.startup_s)
        rss0 = srv.rss_mib()
        dur = f"{MEM_MAX_SECONDS}s"  # an upper bound: the script stops wrk after the count
        f1 = figures(wrk(lua_script(app, "item", ctx, MEM_BASE), dur, "memory.base"))
        rss1 = srv.rss_mib()
        f2 = figures(wrk(lua_script(app, "item", ctx, MEM_REQUESTS - MEM_BASE), dur, "memory.rest"))
        rss2 = srv.rss_mib()
    done1, done2 = f1.get("requests", 0), f1.get("requests", 0) + f2.get("requests", 0)
    growth = (rss2 - rss1) / rss1 * 100 if rss1 else float("nan")
    log(
        f"memory: {rss0:.1f} MiB at start, {rss1:.1f} after {done1},"
        f" {rss2:.1f} after {done2} ({growth:+.1f}%)"
    )
    return {
        "app": app,
        "rss_start_mib": round(rss0, 1),
        "requests_base": done1,
        "rss_base_mib": round(rss1, 1),
        "requests_total": done2,
        "rss_total_mib": round(rss2, 1),
        "growth_pct": round(growth, 2),
        "non2xx": f1.get("non2xx", 0) + f2.get("non2xx", 0),
    }


# ---- phase: EXPLAIN (ANALYZE, BUFFERS) of Bazaar's list statements -------------------------------
def pg_log_path() -> Path | None:
    if p := os.environ.get("PG_LOG"):
        return Path(p)
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        for line in subprocess.run(
            ["pg_lsclusters", "--no-header"], capture_output=True, text=True
        ).stdout.splitlines():
            cols = line.split()
            if len(cols) >= 7 and cols[2] == str(PGPORT):
                return Path(cols[6])
    return None


ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
PARAM = re.compile(r"\$(\d+) = ('(?:[^']|'')*'|NULL)")


def captured_statements(text: str, db: str) -> list[tuple[str, list[str]]]:
    """(sql, parameter literals) of the SELECTs logged for db by log_min_duration_statement=0."""
    entries: list[str] = []
    for line in text.splitlines():
        if ENTRY.match(line):
            entries.append(line)
        elif entries:
            entries[-1] += "\n" + line
    found: dict[str, list[str]] = {}
    last_sql: dict[str, str | None] = {}  # per backend pid: the statement a DETAIL line belongs to
    for e in entries:
        if f"@{db} " not in e or not (pid := re.search(r"\[(\d+)\]", e)):
            continue
        if " LOG:  " in e:  # parse/bind/execute/statement lines; only execute and simple queries count
            m = re.search(r"LOG:\s+duration: [\d.]+ ms\s+(?:execute [^:]*|statement): (.*)", e, re.S)
            sql = m.group(1).strip() if m else ""
            reset = "pg_advisory_unlock_all" in sql  # asyncpg's connection reset, not a query
            keep = sql.lstrip("( ").upper().startswith(("SELECT", "WITH")) and not reset
            last_sql[pid.group(1)] = sql if keep else None
            if keep:
                found[sql] = []
        elif (sql_ := last_sql.get(pid.group(1))) and "DETAIL:  parameters:" in e:
            params = sorted(PARAM.findall(e), key=lambda kv: int(kv[0]))
            found[sql_] = [v for _, v in params]
    return list(found.items())


def explain_phase(db: str, label: str, ctx: Ctx) -> list[str]:
    """Capture the statements each EXPLAIN_APPS app sends for its list requests (PostgreSQL's
    log_min_duration_statement=0 on this database, for the duration of the phase) and EXPLAIN
    (ANALYZE, BUFFERS) them into explain-<label>-<app>-<endpoint>-<n>.txt."""
    files: list[str] = []
    logpath = pg_log_path()
    apps = [a for a in EXPLAIN_APPS if a in APPS]
    if not apps:
        return files
    if logpath is None or not os.access(logpath, os.R_OK):
        warn(f"explain: PostgreSQL log not readable ({logpath}); set PG_LOG")
        return files
    asyncio.run(_admin(f'ALTER DATABASE "{db}" SET log_min_duration_statement = 0'))
    try:
        for app in apps:
            kinds = [e for e in ("list", "deep", "search") if e in SERVES[app]]
            kinds = [e for e in kinds if e not in UNAVAILABLE.get(app, {})]
            if not kinds:
                continue
            with Server(app, db) as srv:
                STARTUPS.setdefault(app, []).append(srv.startup_s)
                if app == "bazaar":
                    bazaar_session(ctx)
                for ep in kinds:
                    if precondition(app, ep, ctx):
                        continue
                    files += explain_requests(db, label, app, ep, ctx, logpath)
    finally:
        asyncio.run(_admin(f'ALTER DATABASE "{db}" RESET log_min_duration_statement'))
    return files


def explain_requests(db: str, label: str, app: str, ep: str, ctx: Ctx, logpath: Path) -> list[str]:
    files = []
    for method, path, hdrs, body in sample_requests(app, ep, ctx, 2):
        request(method, path, hdrs, body)  # warm: connections open, caches hot
    time.sleep(0.5)
    start = logpath.stat().st_size
    for method, path, hdrs, body in sample_requests(app, ep, ctx, 1):
        request(method, path, hdrs, body)
    time.sleep(1.0)  # let the server flush its log
    with open(logpath, errors="replace") as fh:
        fh.seek(start)
        stmts = captured_statements(fh.read(), db)
    for i, (sql, params) in enumerate(stmts, 1):
        name = f"explain-{label}-{app}-{ep}-{i}.txt"
        (OUT / name).write_text(asyncio.run(explain(db, sql, params, f"{label} {app} {ep}")))
        files.append(name)
    log(f"explain: {label} {app} {ep}: {len(stmts)} statement(s)")
    if not stmts:
        warn(f"explain: no statement of {app} {ep} found in {logpath}")
    return files


async def explain(db: str, sql: str, params: list[str], what: str) -> str:
    conn = await asyncpg.connect(pg_url(db), ssl=False)
    try:
        head = f"-- {what}: statement captured from the PostgreSQL log\n-- parameters: {params}\n{sql}\n\n"
        try:
            if params:
                await conn.execute(f"PREPARE bench_stmt AS {sql}")
                target = f"EXECUTE bench_stmt({', '.join(params)})"
            else:
                target = sql
            rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {target}")
            return head + "\n".join(r[0] for r in rows) + "\n"
        except asyncpg.PostgresError as e:
            return head + f"EXPLAIN failed: {e}\n"
    finally:
        await conn.close()


# ---- phase: profile -----------------------------------------------------------------------------
def profile_phase(db: str, ctx: Ctx) -> list[str]:
    files: list[str] = []
    pyspy = BENCH_VENV / "bin" / "py-spy"
    for ep in PROFILE_ENDPOINTS:
        if precondition("bazaar", ep, ctx) or ep in UNAVAILABLE.get("bazaar", {}):
            log(f"profile: {ep} not available, skipped")
            continue
        with Server("bazaar", db) as srv:
            bazaar_session(ctx)
            wrk(lua_script("bazaar", ep, ctx), WARMUP, f"profile.{ep}.warmup", latency=False)
            name = f"flame-{ep}.svg"
            assert srv.proc is not None
            spy = spawn(
                [
                    str(pyspy),
                    "record",
                    "--pid",
                    str(srv.proc.pid),
                    "--subprocesses",
                    "--rate",
                    "200",
                    "--duration",
                    str(PROFILE_SECONDS),
                    "--format",
                    "flamegraph",
                    "-o",
                    str(OUT / name),
                ],
                REPO,
                {},
                TMP / "py-spy.log",
            )
            wrk(lua_script("bazaar", ep, ctx), f"{PROFILE_SECONDS + 2}s", f"profile.{ep}")
            try:
                spy.wait(timeout=PROFILE_SECONDS + 60)
            finally:
                stop_proc(spy)
            if ep == "create":
                asyncio.run(delete_bench_items(db, ctx.user_id))
        if (OUT / name).exists():
            files.append(name)
            log(f"profile: {OUT / name}")
    return files


# ---- main ---------------------------------------------------------------------------------------
UNAVAILABLE: dict[str, dict[str, str]] = {}


def machine() -> dict[str, Any]:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")
    )

    def out(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=20, cwd=REPO).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "mem_gib": round(int(mem) / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgres": out("psql", "-h", PGHOST, "-p", str(PGPORT), "-U", PGUSER, "-Atc", "SHOW server_version"),
        "wrk": out("sh", "-c", "wrk -v 2>&1 | head -n1"),
        "bazaar_python": out(str(BAZAAR_VENV / "bin" / "python"), "--version"),
    }


def git_info() -> dict[str, Any]:
    def g(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True).stdout.strip()

    return {
        "commit": g("rev-parse", "HEAD"),
        "branch": g("rev-parse", "--abbrev-ref", "HEAD"),
        "dirty": bool(g("status", "--porcelain", "--untracked-files=no")),
    }


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    TMP.mkdir(parents=True, exist_ok=True)
    for old in [*TMP.glob("*"), *OUT.glob("explain-*.txt")]:
        old.unlink()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = datetime.now(UTC)
    results: dict[str, Any] = {
        "date": started.isoformat(timespec="seconds"),
        "git": git_info(),
        "machine": machine(),
        "config": {
            "rounds": ROUNDS,
            "duration": DURATION,
            "warmup": WARMUP,
            "conns": CONNS,
            "token_conns": TOKEN_CONNS,
            "wrk_timeout": WRK_TIMEOUT,
            "apps": APPS,
            "endpoints": ONLY_ENDPOINTS or ENDPOINTS,
            "users": USERS,
            "items": ITEMS,
            "scale": SCALE,
            "scale_items": SCALE_ITEMS,
            "mem_requests": MEM_REQUESTS,
            "mem_base": MEM_BASE,
            "bench_db": BENCH_DB,
            "reuse_db": REUSE_DB,
            "anchors": str(ANCHORS_DIR),
            "lua_seed": LUA_SEED,
            "command": env("BENCH_COMMAND", "bash bench/run.sh"),
        },
    }
    try:
        data = prepare_database(BENCH_DB, ITEMS)
        results["dataset"] = {k: v for k, v in data.items() if k != "ids"} | {"active_ids": len(data["ids"])}
        ctx = Ctx(data)
        results["sql"] = sql_phase(BENCH_DB, APPS, ctx, UNAVAILABLE)
        results["search_path"] = search_path(ctx) if data.get("search") else None
        results["runs"] = {"base": load_phase("base", BENCH_DB, APPS, ENDPOINTS, ROUNDS, ctx, UNAVAILABLE)}
        results["memory"] = memory_phase(BENCH_DB, ctx)
        results["explain"] = explain_phase(BENCH_DB, f"{ITEMS // 1000}k", ctx)
        if PROFILE:
            results["profile"] = profile_phase(BENCH_DB, ctx)
        if SCALE:
            sdata = prepare_database(SCALE_DB, SCALE_ITEMS)
            results["scale_dataset"] = {k: v for k, v in sdata.items() if k != "ids"} | {
                "active_ids": len(sdata["ids"])
            }
            sctx = Ctx(sdata, token="")
            results["runs"]["scale"] = load_phase(
                "scale", SCALE_DB, APPS, ["item", "list"], SCALE_ROUNDS, sctx, UNAVAILABLE
            )
            results["explain"] += explain_phase(SCALE_DB, f"{SCALE_ITEMS // 1000}k", sctx)
    finally:
        stop_all()
        results["unavailable"] = UNAVAILABLE
        results["warnings"] = WARNINGS
        results["startup_s"] = {a: [round(s, 3) for s in v if s is not None] for a, v in STARTUPS.items()}
        results["elapsed_s"] = round((datetime.now(UTC) - started).total_seconds())
        report.finish(results, OUT)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        stop_all()
