"""What the benchmark scripts share about the things they run: a fresh database, a server that
answers, and the memory a server's process tree holds. Standard library and asyncpg only, so
the harness (in the anchors' venv) and the scripts run with ``uv run`` can both import it."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path

import asyncpg


async def recreate_database(admin_dsn: str, name: str) -> None:
    """Drops ``name`` (whoever is connected) and creates it empty, on the server of
    ``admin_dsn`` (a DSN of its ``postgres`` database)."""
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


def wait_until_answers(port: int, path: str = "/health/live", seconds: float = 60) -> None:
    """Returns once ``GET path`` on 127.0.0.1:``port`` says 200; exits after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.1)
    raise SystemExit(f"no server answered {path} on port {port} within {seconds:.0f} s")


def tree_rss_kib(pid: int) -> int:
    """VmRSS summed over ``pid`` and its descendants (a forking server is measured whole)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parts = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(parts[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total
