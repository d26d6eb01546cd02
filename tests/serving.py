"""``bazaar serve`` as a real process for tests: a free port, a migrated SQLite file of its own,
logs to a file, readiness awaited, and always stopped at the end."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from alembic import command

from infrastructure import migrations

BAZAAR = Path(sys.executable).with_name("bazaar")  # what `uv run bazaar` runs
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


def migrate(database_url: str) -> None:
    config = migrations.alembic_config(database_url)
    config.attributes["skip_logging"] = True
    command.upgrade(config, "head")


@contextmanager
def serve(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, startup: float = 60
) -> Iterator[Server]:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'served.db'}"
    migrate(database_url)
    port = free_port()
    log = tmp_path / "server.log"
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "served-test-secret",
        "ENVIRONMENT": "development",
        **(env or {}),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BAZAAR), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            cwd=tmp_path,  # no .env of the checkout is read
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, port, log)
    try:
        deadline = time.monotonic() + startup
        while True:
            assert process.poll() is None, f"bazaar serve exited early:\n{server.logs()}"
            try:
                if httpx.get(f"{server.base_url}/health/live", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"bazaar serve did not start:\n{server.logs()}"
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
