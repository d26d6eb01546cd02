"""Where a request's time goes, from a py-spy profile (``py-spy record --idle --format raw``).

Each sample is one stack of the worker's event-loop thread; with ``--idle`` the samples where
the loop waits (for the database: round trips, lock waits) are kept, so samples are spread
evenly over wall time and a phase's share of samples is its share of the worker's time. A
sample belongs to the phase of the deepest frame that names one (a statement executed inside
``lock()`` is "locks", the same driver code under ``commit()`` is "commit"); driver and ORM
frames name no phase of their own. ``ms per request`` = share x 1000 / req/s (one worker).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

Rule = tuple[str, Callable[[str], bool]]
HTTP_MODULES = (
    "uvicorn/",
    "starlette/",
    "fastapi/",
    "pydantic",
    "interfaces/http",
    "structlog",
    "prometheus_client",
)

# Checked on each frame from the leaf to the root; the first frame that matches a rule decides.
PHASES: list[Rule] = [
    ("commit", lambda f: f.startswith("commit (")),
    ("idempotency (claim, record the response)", lambda f: "idempotency.py" in f),
    ("locks (SELECT ... FOR UPDATE)", lambda f: f.startswith("lock (") and "persistence/ledger.py" in f),
    ("statements (entries, transfer, balances)", lambda f: "persistence/ledger.py" in f),
    ("use case and domain rules", lambda f: "application/ledger" in f or "/domain/" in f),
    ("auth (JWT, the caller's row)", lambda f: "interfaces/http/auth.py" in f or "/jwt/" in f),
    (
        "transaction begin/end, pool checkout",
        lambda f: "persistence/uow.py" in f or "sqlalchemy/pool" in f or "transactions.py" in f,
    ),
    (
        "HTTP (server, routing, validation, JSON, middleware, log line, metrics)",
        lambda f: any(part in f for part in HTTP_MODULES),
    ),
]
IDLE = "idle: the loop waits (database round trips, lock waits)"
IDLE_LEAVES = ("run_until_complete", "run_forever", "_run_once", "select (", "asyncio/runners.py")
# SQLAlchemy runs statements in greenlets whose stacks start at Session.execute: the code that
# asked for the statement is not on them, so their samples are counted as the ORM and driver.
ORM = "SQLAlchemy and asyncpg (statements run in greenlets, rows)"


def phase_of(stack: list[str]) -> str | None:
    """The phase of one sample of the main thread; None for other threads (the thread pool
    that waits for Argon2 work, idle here)."""
    if stack and stack[0].startswith("Thread._bootstrap"):
        return None
    for frame in reversed(stack):
        for name, matches in PHASES:
            if matches(frame):
                return name
    if not stack or any(marker in stack[-1] for marker in IDLE_LEAVES):
        return IDLE
    if any("sqlalchemy/" in frame or "asyncpg/" in frame for frame in stack):
        return ORM
    return "other (interpreter, GC, libraries)"


def samples(lines: Iterable[str]) -> Counter[str]:
    phases: Counter[str] = Counter()
    for line in lines:
        stack_text, _, count = line.rstrip().rpartition(" ")
        if not count.isdigit():
            continue
        frames = [f.strip() for f in stack_text.split(";")]
        # py-spy prefixes the thread ("process 1:"MainThread""); keep the Python frames only.
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        phase = phase_of(frames)
        if phase is not None:
            phases[phase] += int(count)
    return phases


def breakdown(raw: Path, rps: float) -> list[dict[str, float | str]]:
    """Rows of ``{phase, share, ms_per_request}``, largest first."""
    counts = samples(raw.read_text(errors="replace").splitlines())
    total = sum(counts.values()) or 1
    return [
        {"phase": name, "share": round(n / total, 3), "ms_per_request": round(n / total * 1000 / rps, 2)}
        for name, n in counts.most_common()
    ]


def markdown(rows: list[dict[str, float | str]], title: str) -> list[str]:
    out = [
        f"{title} (py-spy, one worker, idle included):",
        "",
        "| phase | share | ms per request |",
        "|---|---|---|",
    ]
    out += [f"| {r['phase']} | {float(r['share']):.0%} | {r['ms_per_request']} |" for r in rows]
    return out
