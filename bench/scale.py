# ruff: noqa: E501 - tables read better unwrapped
"""Scale-out benchmark (issue 19): item reads and transfers for 1 process x 1 worker, 1 x 2
workers and 2 processes x 1 worker behind HAProxy, each directly on the primary and through
PgBouncer in transaction mode, on the topology of ``scripts/cluster.sh`` (its own PostgreSQL on
its own port; the server on 5432 is not used).

    bash bench/scale.sh          # DURATION=15s WARMUP=5s CONNS=32, ~10 min
    SCALE_PATHS=primary SCALE_CONFIGS=1x1,1x2 bash bench/scale.sh   # workers only, ~3 min

Replica reads are off here (CLUSTER_REPLICA_READS=0): every configuration reads and writes the
primary, so the figures compare processes, workers and PgBouncer, one variable at a time. Writes
``bench/results/scale.json`` and ``scale.md``, with the CPU each part used during each run (from
/proc: Bazaar's processes, PostgreSQL's, PgBouncer, HAProxy, wrk), which says what limits scaling.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import wrkrun
from ledger_load import lua_transfers, open_accounts

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(os.environ.get("OUT", ROOT / "bench" / "results"))
TMP = Path(os.environ.get("TMPDIR", "/tmp")) / "bazaar-bench-scale"
SCRIPT = ROOT / "scripts" / "cluster.sh"
BAZAAR = Path(os.environ.get("BAZAAR_BIN", Path(sys.executable).with_name("bazaar")))
DURATION = os.environ.get("DURATION", "15s")
WARMUP = os.environ.get("WARMUP", "5s")
CONNS = int(os.environ.get("CONNS", "32"))
ACCOUNTS = int(os.environ.get("ACCOUNTS", "1000"))
PASSWORD = "bench-scale-password-1"
ENV = {
    **os.environ,
    "CLUSTER_DIR": os.environ.get("CLUSTER_DIR", "/tmp/bazaar-bench-cluster"),
    "CLUSTER_REPLICA_READS": "0",
    "CLUSTER_APPS": "2",
}
CONFIGS = [  # (label, processes, workers per process)
    ("1 process x 1 worker", 1, 1),
    ("1 process x 2 workers", 1, 2),
    ("2 processes x 1 worker, HAProxy", 2, 1),
]
PATHS = tuple(os.environ.get("SCALE_PATHS", "primary,pgbouncer").split(","))
# SCALE_CONFIGS=1x1,1x2 runs a subset (processes x workers); 1x1 is the base of the ratios.
_WANTED = os.environ.get("SCALE_CONFIGS", "")
if _WANTED:
    CONFIGS = [c for c in CONFIGS if f"{c[1]}x{c[2]}" in _WANTED.split(",")]


def log(msg: str) -> None:
    print(f"[scale] {msg}", flush=True)


def cluster(*args: str, **env: str) -> str:
    done = subprocess.run(["bash", str(SCRIPT), *args], env={**ENV, **env}, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"cluster.sh {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def cpu_ticks() -> dict[str, int]:
    """utime + stime per part of the topology, summed over its processes."""
    parts = {"bazaar": 0, "postgres": 0, "pgbouncer": 0, "haproxy": 0}
    # Each Bazaar process leads its own process group (cluster.sh starts it with setsid).
    groups = {int(p.read_text().split()[0]) for p in Path(ENV["CLUSTER_DIR"]).glob("app*.pid")}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        ticks = int(fields[11]) + int(fields[12])
        if int(fields[2]) in groups:
            parts["bazaar"] += ticks
        elif comm in parts:
            parts[comm] += ticks
        elif comm.startswith("postgres"):
            parts["postgres"] += ticks
    return parts


_last_idle: list[float] = []


def machine_busy(seconds: float) -> float:
    """Cores busy on the whole machine since the previous call (everything, not only ours)."""
    fields = [float(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = (fields[3] + fields[4]) / os.sysconf("SC_CLK_TCK")
    busy = (os.cpu_count() or 1) - (idle - _last_idle[-1]) / seconds if _last_idle else float("nan")
    _last_idle.append(idle)
    return round(busy, 2)


def measured(script: str, url: str, tag: str) -> dict[str, Any]:
    wrkrun.run(script, TMP / f"{tag}-warmup.lua", url, conns=CONNS, duration=WARMUP)
    machine_busy(1)
    before, children, started = cpu_ticks(), resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    figures = wrkrun.run(script, TMP / f"{tag}.lua", url, conns=CONNS, duration=DURATION)
    seconds, after = time.monotonic() - started, cpu_ticks()
    done = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk has exited: its CPU is ours now
    hz = os.sysconf("SC_CLK_TCK")
    figures["cpu_cores"] = {part: round((after[part] - before[part]) / hz / seconds, 2) for part in before}
    wrk_seconds = done.ru_utime + done.ru_stime - children.ru_utime - children.ru_stime
    figures["cpu_cores"]["wrk"] = round(wrk_seconds / seconds, 2)
    figures["cpu_cores"]["machine"] = machine_busy(seconds)
    return figures


def lua_items(ids: list[int]) -> str:
    return (
        f"math.randomseed(12345)\nlocal ids = {{{','.join(map(str, ids))}}}\nrequest = function()\n"
        '  return wrk.format("GET", "/api/v1/items/" .. ids[math.random(1, #ids)])\nend\n'
    )


async def prepare(dsn: str) -> tuple[list[int], int]:
    conn = await asyncpg.connect(dsn)
    try:
        ids = [r["id"] for r in await conn.fetch("SELECT id FROM items WHERE is_active ORDER BY id")]
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return ids, await open_accounts(dsn, ACCOUNTS)


def main() -> int:
    TMP.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    cluster("down")
    urls = dict(line.split("=", 1) for line in cluster("up").splitlines() if "=" in line)
    primary = urls["PRIMARY_URL"]
    env = {**os.environ, "DATABASE_URL": primary, "BAZAAR_PASSWORD": PASSWORD}
    log("seed 200 users, 10,000 items; 1,000 accounts")
    subprocess.run(
        [str(BAZAAR), "seed", "--users", "200", "--items", "10000"], env=env, check=True, capture_output=True
    )
    subprocess.run(
        [str(BAZAAR), "create-superuser", "--email", "benchroot@example.com", "--username", "benchroot"],
        env=env,
        check=True,
        capture_output=True,
    )
    ids, first = asyncio.run(prepare(primary.replace("+asyncpg", "")))
    lb = urls["BAZAAR_LB_URL"]
    lb_port = int(lb.rsplit(":", 1)[1])
    app1 = f"http://127.0.0.1:{lb_port + 1}"
    results: dict[str, Any] = {"command": os.environ.get("BENCH_COMMAND", "bash bench/scale.sh"), "runs": []}
    try:
        for path in PATHS:
            for label, processes, workers in CONFIGS:
                for app in ("app1", "app2"):
                    cluster("stop", app)
                for i in range(1, processes + 1):
                    cluster("start", f"app{i}", CLUSTER_WORKERS=str(workers), CLUSTER_APP_DB=path)
                target = lb if processes > 1 else app1
                time.sleep(2)  # HAProxy's health checks see the new processes
                token = httpx.post(
                    f"{target}/api/v1/auth/token",
                    data={"username": "benchroot", "password": PASSWORD},
                    timeout=60,
                ).json()["access_token"]
                for endpoint, script in (
                    ("item", lua_items(ids)),
                    ("transfer", lua_transfers(token, first, ACCOUNTS)),
                ):
                    figures = measured(script, target, f"{endpoint}-{processes}-{workers}-{path}")
                    run = {
                        "config": label,
                        "processes": processes,
                        "workers": workers,
                        "db": path,
                        "endpoint": endpoint,
                        **figures,
                    }
                    results["runs"].append(run)
                    log(json.dumps(run))
    finally:
        verify = subprocess.run([str(BAZAAR), "ledger", "verify"], env=env, capture_output=True, text=True)
        results["ledger_verify"] = (
            verify.stdout.strip().splitlines()[-1] if verify.stdout else verify.stderr[-300:]
        )
        cluster("down")
    (OUT / "scale.json").write_text(json.dumps(results, indent=2))
    md = markdown(results)
    (OUT / "scale.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


def markdown(results: dict[str, Any]) -> list[str]:
    runs = results["runs"]
    base = {(r["endpoint"], r["db"]): r["rps"] for r in runs if r["processes"] == 1 and r["workers"] == 1}
    direct = {(r["endpoint"], r["config"]): r["rps"] for r in runs if r["db"] == "primary"}
    out = [
        "| endpoint | configuration | database path | req/s | x 1x1 | PgBouncer / direct | p99 ms | CPU cores: Bazaar / PostgreSQL / PgBouncer / HAProxy / wrk / whole machine |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        cpu = r["cpu_cores"]
        vs_direct = f"{r['rps'] / direct[(r['endpoint'], r['config'])]:.2f}" if r["db"] == "pgbouncer" else ""
        out.append(
            f"| {r['endpoint']} | {r['config']} | {r['db']} | {r['rps']:.0f} | {r['rps'] / base[(r['endpoint'], r['db'])]:.2f} "
            f"| {vs_direct} | {r['p99_ms']:.0f} | {cpu['bazaar']} / {cpu['postgres']} / {cpu['pgbouncer']} / {cpu['haproxy']} / {cpu['wrk']} / {cpu['machine']} |"
        )
    out += [
        "",
        f"Command: `{results['command']}`: wrk -t1 -c{CONNS}, {DURATION} per run after a {WARMUP} warm-up, on this 2-core machine;"
        f" item by id (random of the seeded active items) and POST /transfers over {ACCOUNTS} accounts with an Idempotency-Key each."
        f" `bazaar ledger verify` afterwards: {results['ledger_verify']}.",
    ]
    return out


if __name__ == "__main__":
    raise SystemExit(main())
