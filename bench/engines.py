# ruff: noqa: E501 - tables read better unwrapped
"""Bazaar on MariaDB beside the same Bazaar on PostgreSQL (issue 15): item by id, the first list
page and a search page, one worker each, the same seeded data, in one run.

    bash bench/engines.sh          # ROUNDS=3 DURATION=15s WARMUP=5s CONNS=32
    ENGINES=postgresql,postgresql-nocache bash bench/engines.sh   # the statement caches' worth

Each round starts Bazaar on one engine, runs every endpoint (a warm-up, then the timed wrk run),
stops it and does the same on the other engine; the order alternates round by round. The
ratio MariaDB/PostgreSQL is taken per round and the median reported. Statements per request
come from the server's own request log (``sql_statements``). Afterwards the statements Bazaar
sends to MariaDB for one request of each kind are read from MariaDB's general log (asyncmy
sends them with the values inlined) and run through ``ANALYZE FORMAT=JSON``: the plans go to
``bench/results/explain-mariadb-<endpoint>.json``. Ratios, never timed assertions.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Any

import asyncmy
import asyncpg
import httpx
import wrkrun
from processes import recreate_database

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(os.environ.get("OUT", ROOT / "bench" / "results"))
TMP = Path(os.environ.get("TMPDIR", "/tmp")) / "bazaar-bench-engines"
DB = os.environ.get("ENGINES_DB", "bazaar_bench_engines")
PG = os.environ.get("PG_ADMIN", "postgresql://postgres@127.0.0.1:5432")
MARIADB_HOST, MARIADB_PORT = "127.0.0.1", int(os.environ.get("MARIADB_PORT", "3306"))
PORT = int(os.environ.get("PORT", "8113"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
DURATION = os.environ.get("DURATION", "15s")
WARMUP = os.environ.get("WARMUP", "5s")
CONNS = int(os.environ.get("CONNS", "32"))
USERS, ITEMS = int(os.environ.get("USERS", "1000")), int(os.environ.get("ITEMS", "10000"))
BAZAAR = Path(os.environ.get("BAZAAR_BIN", Path(sys.executable).with_name("bazaar")))
ENDPOINTS = ("item", "list", "search")
PG_URL = f"postgresql+asyncpg://{PG.split('://', 1)[1]}/{DB}"
# Each read path: its database URL and extra settings. postgresql-nocache is PostgreSQL with
# DB_PGBOUNCER=true but no PgBouncer: what losing the statement caches (and autocommit reads)
# costs by itself (ENGINES=postgresql,postgresql-nocache).
PATHS = {
    "postgresql": (PG_URL, {}),
    "postgresql-nocache": (PG_URL, {"DB_PGBOUNCER": "true"}),
    "mariadb": (f"mysql+asyncmy://root@{MARIADB_HOST}:{MARIADB_PORT}/{DB}", {}),
}
A, B = os.environ.get("ENGINES", "postgresql,mariadb").split(",")
URLS = {engine: PATHS[engine][0] for engine in (A, B)}


def log(msg: str) -> None:
    print(f"[engines] {msg}", flush=True)


async def mariadb(*statements: str, db: str | None = None) -> list[tuple[Any, ...]]:
    conn = await asyncmy.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root", db=db)
    try:
        rows: list[tuple[Any, ...]] = []
        async with conn.cursor() as cur:
            for statement in statements:
                await cur.execute(statement)
                rows = list(await cur.fetchall())
        return rows
    finally:
        conn.close()


async def recreate() -> None:
    await recreate_database(f"{PG}/postgres", DB)
    await mariadb(f"DROP DATABASE IF EXISTS `{DB}`", f"CREATE DATABASE `{DB}`")


def bazaar(engine: str, *args: str) -> None:
    subprocess.run([str(BAZAAR), *args], env=environment(engine), check=True, capture_output=True, cwd=TMP)


def environment(engine: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": URLS[engine],
        **PATHS[engine][1],
        "ENVIRONMENT": "production",
        "SECRET_KEY": SECRET,
        "LOG_FORMAT": "json",
    }


SECRET = secrets.token_urlsafe(32)


async def dataset() -> dict[str, Any]:
    """The active item ids (the same on both engines: the seed is deterministic; checked) and a
    search filter that matches: the commonest title word, the middle of the price range, the
    commonest tag."""
    conn = await asyncpg.connect(f"{PG}/{DB}")
    try:
        ids = [r["id"] for r in await conn.fetch("SELECT id FROM items WHERE is_active ORDER BY id")]
        titles = [r["title"] for r in await conn.fetch("SELECT title FROM items LIMIT 5000")]
        lo, hi = await conn.fetchrow(
            "SELECT percentile_disc(0.2) WITHIN GROUP (ORDER BY price)::text,"
            " percentile_disc(0.8) WITHIN GROUP (ORDER BY price)::text FROM items"
        )
        tag = await conn.fetchval(
            "SELECT t.name FROM tags t JOIN item_tags it ON it.tag_id = t.id"
            " GROUP BY t.name ORDER BY count(*) DESC, t.name LIMIT 1"
        )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    if "mariadb" in URLS:
        maria_ids = [r[0] for r in await mariadb("SELECT id FROM items WHERE is_active ORDER BY id", db=DB)]
        if maria_ids != ids:
            raise SystemExit("the two engines were seeded differently: compare `bazaar seed` on each")
        await mariadb("ANALYZE TABLE users, items, tags, item_tags", db=DB)
    words = Counter(w for t in titles for w in set(re.findall(r"[a-z]{3,}", t.lower())))
    search = {"q": words.most_common(1)[0][0], "min_price": lo, "max_price": hi, "tag": tag, "limit": 50}
    return {"ids": ids, "search": "/api/v1/items?" + urllib.parse.urlencode(search)}


def lua(endpoint: str, data: dict[str, Any]) -> str:
    if endpoint == "item":
        ids = ",".join(map(str, data["ids"]))
        return (
            f"math.randomseed(12345)\nlocal ids = {{{ids}}}\nrequest = function()\n"
            '  return wrk.format("GET", "/api/v1/items/" .. ids[math.random(1, #ids)])\nend\n'
        )
    path = "/api/v1/items?limit=50" if endpoint == "list" else data["search"]
    return f"wrk.path = {json.dumps(path)}\n"


def serve(engine: str, logfile: Path) -> subprocess.Popen[bytes]:
    with logfile.open("ab") as out:
        server = subprocess.Popen(
            [str(BAZAAR), "serve", "--port", str(PORT)],
            env=environment(engine),
            cwd=TMP,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    for _ in range(150):
        try:
            if httpx.get(f"http://127.0.0.1:{PORT}/health/ready", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    stop(server)
    raise SystemExit(f"Bazaar on {engine} did not become ready; see {logfile}")


def stop(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def statements(logfile: Path, offset: int) -> float:
    """Median ``sql_statements`` of the 200 answers logged after ``offset`` (one wrk run's)."""
    counts = []
    with logfile.open("rb") as lines:
        lines.seek(offset)
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("status") == 200 and "sql_statements" in record:
                counts.append(int(record["sql_statements"]))
    return statistics.median(counts) if counts else float("nan")


async def explain_mariadb(data: dict[str, Any]) -> dict[str, str]:
    """Sends one request of each kind to Bazaar on MariaDB with the general log on, then runs
    every SELECT it logged through ``ANALYZE FORMAT=JSON`` (real row counts, not estimates)."""
    files: dict[str, str] = {}
    paths = {"item": f"/api/v1/items/{data['ids'][len(data['ids']) // 2]}", "list": "/api/v1/items?limit=50"}
    paths["search"] = data["search"]
    await mariadb("SET GLOBAL log_output = 'TABLE'", "TRUNCATE TABLE mysql.general_log")
    try:
        for endpoint, path in paths.items():
            await mariadb("TRUNCATE TABLE mysql.general_log", "SET GLOBAL general_log = 1")
            httpx.get(f"http://127.0.0.1:{PORT}{path}", timeout=10).raise_for_status()
            await mariadb("SET GLOBAL general_log = 0")
            logged = await mariadb(
                "SELECT CONVERT(argument USING utf8mb4) FROM mysql.general_log"
                " WHERE command_type = 'Query' AND argument LIKE 'SELECT%' ORDER BY event_time"
            )
            plans = []
            for statement in (s for (s,) in logged if re.search(r"\bFROM\b", s, re.IGNORECASE)):
                (plan,) = (await mariadb(f"ANALYZE FORMAT=JSON {statement}", db=DB))[0]
                plans.append({"statement": statement, "plan": json.loads(plan)})
            target = OUT / f"explain-mariadb-{endpoint}.json"
            target.write_text(json.dumps(plans, indent=2))
            files[endpoint] = target.name
    finally:
        await mariadb("SET GLOBAL general_log = 0", "TRUNCATE TABLE mysql.general_log")
    return files


def main() -> int:
    TMP.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    asyncio.run(recreate())
    for engine in {URLS[e]: e for e in URLS}.values():  # each database once
        log(f"migrate and seed {engine} ({USERS} users, {ITEMS} items)")
        bazaar(engine, "migrate")
        bazaar(engine, "seed", "--users", str(USERS), "--items", str(ITEMS))
    data = asyncio.run(dataset())
    logs = {engine: TMP / f"server-{engine}.log" for engine in URLS}
    for logfile in logs.values():
        logfile.unlink(missing_ok=True)
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {e: {ep: [] for ep in ENDPOINTS} for e in URLS}
    order = list(URLS)
    for round_no in range(ROUNDS):
        for engine in order if round_no % 2 == 0 else order[::-1]:
            server = serve(engine, logs[engine])
            try:
                for endpoint in ENDPOINTS:
                    url = f"http://127.0.0.1:{PORT}"
                    wrkrun.run(lua(endpoint, data), TMP / "warmup.lua", url, conns=CONNS, duration=WARMUP)
                    offset = logs[engine].stat().st_size
                    figures = wrkrun.run(
                        lua(endpoint, data), TMP / f"{endpoint}.lua", url, conns=CONNS, duration=DURATION
                    )
                    figures["statements"] = statements(logs[engine], offset)
                    runs[engine][endpoint].append(figures)
                    log(f"round {round_no + 1} {engine} {endpoint}: {figures}")
            finally:
                stop(server)
    plans: dict[str, str] = {}
    if "mariadb" in URLS:
        server = serve("mariadb", logs["mariadb"])
        try:
            plans = asyncio.run(explain_mariadb(data))
        finally:
            stop(server)
    if not ROUNDS:  # ROUNDS=0: the plans only
        log(f"plans: {plans}")
        return 0
    report = summarise(runs)
    report.update(
        command=os.environ.get("BENCH_COMMAND", "bash bench/engines.sh"),
        rounds=ROUNDS,
        duration=DURATION,
        conns=CONNS,
        items=ITEMS,
        search=data["search"],
        plans=plans,
    )
    name = "engines" if (A, B) == ("postgresql", "mariadb") else f"engines-{A}-{B}"
    (OUT / f"{name}.json").write_text(json.dumps(report, indent=2))
    md = markdown(report)
    (OUT / f"{name}.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


def summarise(runs: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    rows = {}
    for endpoint in ENDPOINTS:
        pg, maria = runs[A][endpoint], runs[B][endpoint]
        rows[endpoint] = {
            engine: {
                "rps": statistics.median(r["rps"] for r in runs[engine][endpoint]),
                "rps_rounds": [round(r["rps"]) for r in runs[engine][endpoint]],
                "p99_ms": statistics.median(r["p99_ms"] for r in runs[engine][endpoint]),
                "p999_ms": statistics.median(r["p999_ms"] or 0 for r in runs[engine][endpoint]),
                "non_2xx": sum(r["non_2xx"] for r in runs[engine][endpoint]),
                "statements": statistics.median(r["statements"] for r in runs[engine][endpoint]),
            }
            for engine in runs
        }
        rows[endpoint]["ratio"] = round(
            statistics.median(m["rps"] / p["rps"] for m, p in zip(maria, pg, strict=True)), 2
        )
    return {"endpoints": rows}


def markdown(report: dict[str, Any]) -> list[str]:
    out = [
        f"| endpoint | {A} req/s | {B} req/s | {B} / {A} | p99 ms ({A} / {B}) | p99.9 ms ({A} / {B}) | statements ({A} / {B}) | non-2xx |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for endpoint, row in report["endpoints"].items():
        pg, maria = row[A], row[B]
        out.append(
            f"| {endpoint} | {pg['rps']:.0f} {pg['rps_rounds']} | {maria['rps']:.0f} {maria['rps_rounds']} | {row['ratio']} "
            f"| {pg['p99_ms']:.1f} / {maria['p99_ms']:.1f} | {pg['p999_ms']:.1f} / {maria['p999_ms']:.1f} "
            f"| {pg['statements']} / {maria['statements']} | {pg['non_2xx'] + maria['non_2xx']} |"
        )
    out += [
        "",
        f"Command: `{report['command']}`: {report['rounds']} rounds, order alternating, {report['conns']} connections,"
        f" {report['duration']} per endpoint, one worker, {report['items']} items; median of per-round ratios.",
        f"Search: `{report['search']}`."
        + (f" MariaDB plans: {', '.join(report['plans'].values())}." if report["plans"] else ""),
    ]
    return out


if __name__ == "__main__":
    raise SystemExit(main())
