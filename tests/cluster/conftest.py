"""The scale-out topology of ``scripts/cluster.sh`` (issue 19) as a session fixture: a primary, a
streaming replica, PgBouncer in transaction mode, two ``bazaar serve --workers 2`` processes and
HAProxy, on their own ports and in their own directory. When the check script has started it
already (it runs the API suite through its PgBouncer too), the tests use it and leave it up;
otherwise the fixture starts it and stops it at the end. Unavailable (not root, no Debian
packages) → skipped locally, failed under CI=true."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import IN_CI

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "cluster.sh"
BAZAAR = Path(sys.executable).with_name("bazaar")


@dataclass(frozen=True)
class Cluster:
    urls: dict[str, str]

    @property
    def lb(self) -> str:
        return self.urls["BAZAAR_LB_URL"]

    @property
    def primary(self) -> str:
        return self.urls["PRIMARY_URL"]

    @property
    def primary_dsn(self) -> str:
        return self.primary.replace("postgresql+asyncpg://", "postgresql://", 1)

    @property
    def app_urls(self) -> list[str]:
        port = int(self.lb.rsplit(":", 1)[1])
        apps = int(os.environ.get("CLUSTER_APPS", "2"))
        return [f"http://127.0.0.1:{port + i}" for i in range(1, apps + 1)]

    def part(self, action: str, name: str) -> None:
        """``stop`` or ``start`` one part (``app1`` is killed with SIGKILL, its whole group)."""
        done = subprocess.run(
            ["bash", str(SCRIPT), action, name], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr

    def bazaar(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """The CLI against the primary directly (as an operator runs it)."""
        environment = {**os.environ, "DATABASE_URL": self.primary, **env}
        return subprocess.run(
            [str(BAZAAR), *args], env=environment, capture_output=True, text=True, timeout=300
        )


def _running() -> bool:
    status = subprocess.run(["bash", str(SCRIPT), "status"], capture_output=True, text=True, timeout=60)
    return status.returncode == 0 and "stopped" not in status.stdout


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    started_here = not _running()
    up = subprocess.run(["bash", str(SCRIPT), "up"], capture_output=True, text=True, timeout=900)
    if up.returncode != 0:
        message = f"scripts/cluster.sh up failed:\n{up.stderr[-3000:]}"
        if IN_CI:
            pytest.fail(message + "\n(CI=true: the topology must start)")
        pytest.skip(message)
    urls = dict(line.split("=", 1) for line in up.stdout.splitlines() if "=" in line)
    try:
        yield Cluster(urls)
    finally:
        if started_here:
            subprocess.run(["bash", str(SCRIPT), "down"], capture_output=True, timeout=300)
