# ruff: noqa: E501 - tables and Lua templates read better unwrapped
"""Login storm (issue 20): ``POST /auth/token`` from 32 concurrent clients, each request for a
random one of many accounts (so the per-account throttle never answers 429), with Argon2id
hashing bounded to the cores (``PASSWORD_HASH_CONCURRENCY`` unset: the CPU count) and, beside it
in the same run, with 32 hashing threads (the unbounded behaviour before ADR 19).

    bash bench/logins.sh            # ACCOUNTS=256 CONNS=32 DURATION=20s WARMUP=3s

Reports req/s, p50, p99, p99.9, non-2xx and the server's peak RSS during the run (VmRSS of its
process tree, sampled every 100 ms) to bench/results/logins.json and logins.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import wrkrun
from processes import recreate_database, tree_rss_kib, wait_until_answers

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(os.environ.get("OUT", ROOT / "bench" / "results"))
TMP = Path(os.environ.get("TMPDIR", "/tmp")) / "bazaar-bench-logins"
PGURL = f"postgresql://{os.environ.get('PGUSER', 'postgres')}@127.0.0.1:{os.environ.get('PGPORT', '5432')}"
DB = os.environ.get("LOGIN_DB", "bazaar_bench_logins")
PORT = int(os.environ.get("PORT", "8114"))
ACCOUNTS = int(os.environ.get("ACCOUNTS", "256"))
CONNS = int(os.environ.get("CONNS", "32"))
DURATION = os.environ.get("DURATION", "20s")
WARMUP = os.environ.get("WARMUP", "3s")
BAZAAR = Path(os.environ.get("BAZAAR_BIN", Path(sys.executable).with_name("bazaar")))
PASSWORD = "bench-login-password-1"
CONFIGS = [  # (label, PASSWORD_HASH_CONCURRENCY)
    ("bounded: hashes at once = CPUs (default)", None),
    ("unbounded: 32 hashing threads", "32"),
]


def log(msg: str) -> None:
    print(f"[logins] {msg}", flush=True)


async def clone_accounts(template_id: int, count: int) -> None:
    """``count`` users copied from the signed-up template (same Argon2id hash, so the same
    password): ``login<n>@bench.example``. Bulk SQL: signing each up would hash each."""
    conn = await asyncpg.connect(f"{PGURL}/{DB}")
    try:
        columns = [
            r["column_name"]
            for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'users'"
                " AND is_generated = 'NEVER' AND column_name NOT IN ('id', 'email', 'username')"
                " ORDER BY ordinal_position"
            )
        ]
        listed = ", ".join(columns)
        await conn.execute(
            f"INSERT INTO users (email, username, {listed})"
            f" SELECT 'login' || g || '@bench.example', 'login' || g, {listed}"
            " FROM users, generate_series(1, $2::int) g WHERE users.id = $1",
            template_id,
            count,
        )
        await conn.execute("VACUUM ANALYZE users")
    finally:
        await conn.close()


class PeakRss(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.1):
            self.peak = max(self.peak, tree_rss_kib(self.pid) / 1024)


def lua_logins(count: int) -> str:
    return f"""
math.randomseed(20261207)
wrk.method = "POST"
wrk.path = "/api/v1/auth/token"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
request = function()
  local body = string.format("username=login%d%%40bench.example&password={PASSWORD}", math.random(1, {count}))
  return wrk.format(nil, nil, nil, body)
end
"""


def run_config(env: dict[str, str], concurrency: str | None, first: bool) -> dict[str, Any]:
    server_env = {**env}
    if concurrency is not None:
        server_env["PASSWORD_HASH_CONCURRENCY"] = concurrency
    server = subprocess.Popen(
        [str(BAZAAR), "serve", "--port", str(PORT)],
        env=server_env,
        cwd=TMP,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=(TMP / "server.log").open("ab"),
    )
    try:
        wait_until_answers(PORT)
        if first:
            signup = {"email": "template@bench.example", "username": "template", "password": PASSWORD}
            answer = httpx.post(f"http://127.0.0.1:{PORT}/api/v1/users", json=signup, timeout=30)
            answer.raise_for_status()
            asyncio.run(clone_accounts(int(answer.json()["id"]), ACCOUNTS))
        url = f"http://127.0.0.1:{PORT}"
        wrkrun.run(lua_logins(ACCOUNTS), TMP / "warmup.lua", url, conns=CONNS, duration=WARMUP)
        rss_before = tree_rss_kib(server.pid) / 1024
        peak = PeakRss(server.pid)
        peak.start()
        figures = wrkrun.run(lua_logins(ACCOUNTS), TMP / "logins.lua", url, conns=CONNS, duration=DURATION)
        peak.stop.set()
        peak.join()
        return {**figures, "rss_before_mib": round(rss_before, 1), "peak_rss_mib": round(peak.peak, 1)}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def main() -> int:
    TMP.mkdir(parents=True, exist_ok=True)
    asyncio.run(recreate_database(f"{PGURL}/postgres", DB))
    env = {
        **os.environ,
        "ENVIRONMENT": "production",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": f"{PGURL.replace('postgresql://', 'postgresql+asyncpg://')}/{DB}",
    }
    subprocess.run([str(BAZAAR), "migrate"], env=env, check=True, capture_output=True, cwd=TMP)
    results = []
    for i, (label, concurrency) in enumerate(CONFIGS):
        log(f"{label}: {CONNS} clients over {ACCOUNTS} accounts, {DURATION}")
        figures = run_config(env, concurrency, first=i == 0)
        log(f"  {figures}")
        results.append({"config": label, "password_hash_concurrency": concurrency, **figures})
    OUT.mkdir(parents=True, exist_ok=True)
    report = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": os.environ.get("BENCH_COMMAND", "bash bench/logins.sh"),
        "accounts": ACCOUNTS,
        "conns": CONNS,
        "duration": DURATION,
        "cpus": os.cpu_count(),
        "results": results,
    }
    (OUT / "logins.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        f"## Login storm {report['date']}",
        f"`{report['command']}`: wrk -t1 -c{CONNS} -d{DURATION}, random account of {ACCOUNTS}, Argon2id (OWASP parameters), {report['cpus']} CPUs",
        "",
        "| configuration | req/s | p50 ms | p99 ms | p99.9 ms | non-2xx | RSS before MiB | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['config']} | {r['rps']:.1f} | {r['p50_ms']:.0f} | {r['p99_ms']:.0f} | {r['p999_ms'] or 0:.0f} "
            f"| {r['non_2xx']} | {r['rss_before_mib']:.0f} | {r['peak_rss_mib']:.0f} |"
        )
    (OUT / "logins.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
