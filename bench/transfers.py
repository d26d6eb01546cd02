# ruff: noqa: E501 - tables and Lua templates read better unwrapped
"""Transfer benchmark (issue 16): ``POST /transfers`` from 32 concurrent clients over 20 hot
accounts and over 10,000 accounts, each request with its own ``Idempotency-Key``, beside
Bazaar's own ``POST /items`` and PostgreSQL's ceiling for the same kind of work (``pgbench``:
the TPC-B-like script, hot, and ``simple-update``, cold), all in one run on one machine.

    bash bench/transfers.sh            # ROUNDS=1 DURATION=15s CONNS=32 by default

Writes bench/results/transfers.json and transfers.md. Statements per request come from the
server's own request log (``sql_statements``); with PROFILE=1 a py-spy flame graph of the hot
case goes to bench/results/flame-transfers.svg. Ratios, never timed assertions.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import wrkrun
from ledger_load import lua_post, lua_transfers, open_accounts
from phases import breakdown, markdown
from processes import recreate_database, wait_until_answers

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(os.environ.get("OUT", ROOT / "bench" / "results"))
PGHOST, PGPORT, PGUSER = (
    "127.0.0.1",
    int(os.environ.get("PGPORT", "5432")),
    os.environ.get("PGUSER", "postgres"),
)
DB = os.environ.get("TRANSFER_DB", "bazaar_bench_transfers")
PGBENCH_DB = os.environ.get("PGBENCH_DB", "bazaar_bench_pgbench")
PORT = int(os.environ.get("PORT", "8112"))
CONNS = int(os.environ.get("CONNS", "32"))
DURATION = os.environ.get("DURATION", "15s")
WARMUP = os.environ.get("WARMUP", "3s")
COLD_ACCOUNTS = int(os.environ.get("COLD_ACCOUNTS", "10000"))
HOT_ACCOUNTS = int(os.environ.get("HOT_ACCOUNTS", "20"))
BAZAAR = Path(os.environ.get("BAZAAR_BIN", Path(sys.executable).with_name("bazaar")))
PASSWORD = "bench-root-password-1"
TMP = Path(os.environ.get("TMPDIR", "/tmp")) / "bazaar-bench-transfers"


def log(msg: str) -> None:
    print(f"[transfers] {msg}", flush=True)


def dsn(db: str) -> str:
    return f"postgresql://{PGUSER}@{PGHOST}:{PGPORT}/{db}"


def bazaar(*args: str, env: dict[str, str]) -> None:
    subprocess.run([str(BAZAAR), *args], env=env, check=True, capture_output=True, cwd=TMP)


def lua_items(token: str) -> str:
    body = """  local body = string.format('{"title":"bench %s %d %d","price":"1.00"}', nonce, n, math.random(1, 1000000000))"""
    return lua_post("/api/v1/items", token, 20261202, body)


def wrk(
    script: str, tag: str, duration: str = DURATION, port: int = PORT, conns: int = CONNS
) -> dict[str, Any]:
    return wrkrun.run(script, TMP / f"{tag}.lua", f"http://127.0.0.1:{port}", conns=conns, duration=duration)


# What is left of the wall time: Python work, and under load the wait for the event loop too.
PYTHON = "python (HTTP, validation, JWT, use case, JSON, log line; under load: waiting for the loop)"


def phase_times(env: dict[str, str], token: str, first: int) -> dict[str, Any]:
    """The hot transfer run again on bench/traced.py (the production app with a stopwatch per
    phase), once with one connection (a transfer's own latency) and once with CONNS (under load,
    where every phase also waits its turn on the event loop): ms per transfer per phase."""
    port = PORT + 1
    command = [sys.executable, "-m", "uvicorn", "--factory", "bench.traced:app", "--port", str(port)]
    command += ["--no-access-log", "--log-level", "warning", "--http", "httptools", "--loop", "uvloop"]
    server = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    out: dict[str, Any] = {}
    try:
        wait_until_answers(port, "/health/ready", 30)
        for conns in (1, CONNS):
            wrk(lua_transfers(token, first, HOT_ACCOUNTS), "traced-warmup", WARMUP, port, conns)
            httpx.get(f"http://127.0.0.1:{port}/__bench/phases", timeout=10)
            figures = wrk(lua_transfers(token, first, HOT_ACCOUNTS), "traced", DURATION, port, conns)
            totals = httpx.get(f"http://127.0.0.1:{port}/__bench/phases", timeout=10).json()
            route = totals["POST /api/v1/transfers"]
            n = route.pop("requests")
            wall = route.pop("wall")
            ms = {phase: round(seconds * 1000 / n, 2) for phase, seconds in sorted(route.items())}
            ms[PYTHON] = round(wall * 1000 / n - sum(ms.values()), 2)
            out[f"c{conns}"] = {
                "transfers": int(n),
                "rps": figures["rps"],
                "wall_ms": round(wall * 1000 / n, 2),
                "ms": ms,
            }
            log(f"phases with {conns} connection(s): {out[f'c{conns}']}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return out


def pgbench(*args: str) -> float:
    done = subprocess.run(
        ["pgbench", "-h", PGHOST, "-p", str(PGPORT), "-U", PGUSER, *args, PGBENCH_DB],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(re.search(r"tps = ([\d.]+)", done.stdout).group(1))  # type: ignore[union-attr]


def py_spy(pid: int, fmt: str, out: Path) -> subprocess.Popen[bytes]:
    """Samples the server for the length of one timed run, idle time included."""
    seconds = str(int(DURATION.rstrip("s")) + 1)
    command = ["py-spy", "record", "--idle", "--format", fmt, "-o", str(out), "-d", seconds, "-p", str(pid)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def statements(log_path: Path, route: str) -> float:
    counts = []
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("route") == route and record.get("method") == "POST" and record.get("status") == 201:
            counts.append(record.get("sql_statements", 0))
    return statistics.median(counts) if counts else float("nan")


def phase_table(phases: dict[str, Any]) -> list[str]:
    one, loaded = phases["c1"], phases[f"c{CONNS}"]
    out = [
        f"Where a hot transfer's time goes (bench/traced.py; ms per transfer; 1 connection: {one['rps']:.0f}/s,"
        f" {CONNS} connections: {loaded['rps']:.0f}/s):",
        "",
        f"| phase | 1 connection | {CONNS} connections |",
        "|---|---|---|",
    ]
    out += [
        f"| {phase} | {one['ms'].get(phase, 0)} | {loaded['ms'].get(phase, 0)} |" for phase in loaded["ms"]
    ]
    out.append(f"| wall, request in to response out | {one['wall_ms']} | {loaded['wall_ms']} |")
    return out


def main() -> int:
    if shutil.which("wrk") is None or shutil.which("pgbench") is None:
        log("wrk and pgbench are needed (bash bench/transfers.sh installs wrk)")
        return 2
    TMP.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    asyncio.run(recreate_database(dsn("postgres"), DB))
    url = f"postgresql+asyncpg://{PGUSER}@{PGHOST}:{PGPORT}/{DB}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ENVIRONMENT": "production",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "LOG_FORMAT": "json",
        "BAZAAR_PASSWORD": PASSWORD,
    }
    bazaar("migrate", env=env)
    bazaar("create-superuser", "--email", "benchroot@example.com", "--username", "benchroot", env=env)
    first_cold = asyncio.run(open_accounts(dsn(DB), COLD_ACCOUNTS))
    server_log = TMP / "server.log"
    with server_log.open("wb") as out:
        server = subprocess.Popen(
            [str(BAZAAR), "serve", "--port", str(PORT)],
            env=env,
            cwd=TMP,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    results: dict[str, Any] = {"command": os.environ.get("BENCH_COMMAND", "bash bench/transfers.sh")}
    try:
        wait_until_answers(PORT, "/health/ready", 30)
        form = {"username": "benchroot", "password": PASSWORD}
        token = httpx.post(f"http://127.0.0.1:{PORT}/api/v1/auth/token", data=form, timeout=30).json()[
            "access_token"
        ]
        profiling = os.environ.get("PROFILE") == "1" and shutil.which("py-spy") is not None
        # Hot: collapsed stacks for the phase breakdown; cold: the flame graph to look at.
        profiles = {
            "transfers_hot": ("raw", OUT / "profile-transfers.txt"),
            "transfers_cold": ("flamegraph", OUT / "flame-transfers.svg"),
        }
        for name, make in (
            ("transfers_hot", lambda: lua_transfers(token, first_cold, HOT_ACCOUNTS)),
            ("transfers_cold", lambda: lua_transfers(token, first_cold, COLD_ACCOUNTS)),
            ("items_create", lambda: lua_items(token)),
        ):
            # A fresh script (a fresh nonce) per run: the warm-up's titles and keys are not reused.
            wrk(make(), f"{name}-warmup", WARMUP)
            profile = py_spy(server.pid, *profiles[name]) if profiling and name in profiles else None
            results[name] = wrk(make(), name)
            log(f"{name}: {results[name]}")
            if profile is not None:
                profile.wait(timeout=120)
        if profiling:
            rows = breakdown(OUT / "profile-transfers.txt", results["transfers_hot"]["rps"])
            results["profile_hot"] = rows
            results["phases_hot"] = phase_times(env, token, first_cold)
        results["statements"] = {
            "transfer": statements(server_log, "/api/v1/transfers"),
            "item_create": statements(server_log, "/api/v1/items"),
        }
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    verify = subprocess.run(
        [str(BAZAAR), "ledger", "verify"], env=env, cwd=TMP, capture_output=True, text=True
    )
    results["ledger_verify"] = (
        verify.stdout.strip().splitlines()[-1] if verify.stdout else verify.stderr[-300:]
    )
    asyncio.run(recreate_database(dsn("postgres"), PGBENCH_DB))
    subprocess.run(
        ["pgbench", "-h", PGHOST, "-p", str(PGPORT), "-U", PGUSER, "-i", "-s", "1", "-q", PGBENCH_DB],
        check=True,
        capture_output=True,
    )
    secs = DURATION.rstrip("s")
    results["pgbench_tpcb_hot"] = pgbench("-c", str(CONNS), "-j", "2", "-T", secs)
    results["pgbench_simple_update_cold"] = pgbench(
        "-c", str(CONNS), "-j", "2", "-T", secs, "-b", "simple-update"
    )
    hot, cold, items = results["transfers_hot"], results["transfers_cold"], results["items_create"]
    results["ratios"] = {
        "hot_vs_items": round(hot["rps"] / items["rps"], 2),
        "cold_vs_items": round(cold["rps"] / items["rps"], 2),
        "hot_vs_pgbench_tpcb": round(hot["rps"] / results["pgbench_tpcb_hot"], 2),
        "cold_vs_pgbench_simple_update": round(cold["rps"] / results["pgbench_simple_update_cold"], 2),
    }
    (OUT / "transfers.json").write_text(json.dumps(results, indent=2))
    md = [
        "| scenario | req/s (TPS) | p50 ms | p99 ms | non-2xx | statements |",
        "|---|---|---|---|---|---|",
        f"| transfers, {HOT_ACCOUNTS} hot accounts | {hot['rps']:.0f} | {hot['p50_ms']:.1f} | {hot['p99_ms']:.1f} "
        f"| {hot['non_2xx']} | {results['statements']['transfer']} |",
        f"| transfers, {COLD_ACCOUNTS} accounts | {cold['rps']:.0f} | {cold['p50_ms']:.1f} | {cold['p99_ms']:.1f} "
        f"| {cold['non_2xx']} | {results['statements']['transfer']} |",
        f"| POST /items | {items['rps']:.0f} | {items['p50_ms']:.1f} | {items['p99_ms']:.1f} | {items['non_2xx']} "
        f"| {results['statements']['item_create']} |",
        f"| pgbench TPC-B-like (hot) | {results['pgbench_tpcb_hot']:.0f} | | | | 7 |",
        f"| pgbench simple-update (cold) | {results['pgbench_simple_update_cold']:.0f} | | | | 5 |",
        "",
        f"Ratios: {results['ratios']}. `bazaar ledger verify` after the run: {results['ledger_verify']}",
        f"Command: `{results['command']}`, {CONNS} connections, {DURATION} per scenario.",
    ]
    if "phases_hot" in results:
        md += ["", *phase_table(results["phases_hot"])]
    if "profile_hot" in results:
        md += ["", *markdown(results["profile_hot"], "The worker's samples during the hot transfer run")]
    (OUT / "transfers.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
