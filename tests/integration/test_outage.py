"""The database goes away and comes back while the service runs.

A throwaway PostgreSQL cluster (initdb into a temporary directory, on a spare port, as the
``postgres`` OS user when running as root) is started, migrated and served; it is stopped
(``pg_ctl stop -m immediate``, a crash as far as the service can tell) and started again. The
shared server on port 5432 is never touched. Skipped only when initdb is not installed and CI
is not true.
"""

from __future__ import annotations

import asyncio
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from infrastructure.container import Container
from infrastructure.migrations import upgrade_async
from interfaces.http.app import create_app
from tests import conftest


def _pg_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """A PostgreSQL cluster of its own: ``start``/``stop`` at will, removed by ``destroy``."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="bazaar-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: run the cluster as the postgres OS user
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self.as_postgres = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        subprocess.run([*self.as_postgres, *args], check=True, capture_output=True, timeout=timeout)

    def init(self) -> None:
        self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
            "--no-instructions",
        )

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off"
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-o",
            options,
            "-w",
            "-t",
            "30",
            "start",
        )

    def stop(self) -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [
                    *self.as_postgres,
                    str(self.bin_dir / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-m",
                    "immediate",
                    "stop",
                ],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    bin_dir = _pg_bin()
    if bin_dir is None:
        message = "initdb/pg_ctl not installed (Debian: postgresql)"
        if conftest.IN_CI:
            pytest.fail(message + "; CI=true requires the outage test")
        pytest.skip(message)
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.fail("running as root needs runuser to start PostgreSQL as the postgres user")
    cluster = Cluster(bin_dir)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


async def _until(predicate, within: float) -> float:  # type: ignore[no-untyped-def]
    """Polls ``predicate`` (an async callable) until true; returns the seconds it took."""
    started = time.monotonic()
    while True:
        if await predicate():
            return time.monotonic() - started
        assert time.monotonic() - started < within, f"not within {within} s"
        await asyncio.sleep(0.25)


async def test_outage_gives_503_then_recovers_without_restart(cluster: Cluster) -> None:
    await upgrade_async(cluster.url)
    settings = conftest.test_settings(cluster.url, db_pool_timeout=3)
    container = Container(settings=settings)
    container.core.hasher.override(conftest.FAST_HASHER)
    app = create_app(settings, container)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=30) as client:
            body = {"email": "ann@example.com", "username": "ann", "password": "password-123"}
            created = await client.post("/api/v1/users", json=body)
            assert created.status_code == 201, created.text
            user_path = f"/api/v1/users/{created.json()['id']}"
            assert (await client.get(user_path)).status_code == 200
            assert (await client.get("/health/ready")).status_code == 200

            cluster.stop()
            stopped_at = time.monotonic()

            async def unavailable() -> bool:
                started = time.monotonic()
                response = await client.get(user_path)
                assert time.monotonic() - started < 10, "a request hung"
                assert response.status_code in (200, 503), response.text  # never a 500
                return response.status_code == 503

            await _until(unavailable, within=10)
            assert time.monotonic() - stopped_at < 10
            for method, path, kwargs in (
                ("GET", user_path, {}),
                ("GET", "/api/v1/stats/users", {}),
                ("POST", "/api/v1/auth/token", {"data": {"username": "ann", "password": "password-123"}}),
                ("POST", "/api/v1/users", {"json": {**body, "email": "bob@example.com", "username": "bob"}}),
            ):
                response = await client.request(method, path, **kwargs)
                assert response.status_code == 503, (path, response.text)
                assert response.json()["type"] == "/problems/service-unavailable"
                assert int(response.headers["Retry-After"]) >= 1
            assert (await client.get("/health/ready")).status_code == 503
            assert (await client.get("/health/live")).status_code == 200

            cluster.start()

            async def serving() -> bool:
                response = await client.get(user_path)
                assert response.status_code in (200, 503), response.text
                return response.status_code == 200

            await _until(serving, within=15)
            assert (await client.get("/health/ready")).status_code == 200
            token = await client.post(
                "/api/v1/auth/token", data={"username": "ann", "password": "password-123"}
            )
            assert token.status_code == 200
    finally:
        await container.core.engine().dispose()


def _cluster_pids(cluster: Cluster) -> list[int]:
    """The postmaster of this cluster (from its pid file) and its children (from /proc)."""
    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[1]) == postmaster:
            children.append(int(stat.parent.name))
    return [postmaster, *children]


async def test_a_frozen_database_gives_503_not_a_hang(cluster: Cluster) -> None:
    """The server stops answering without closing anything (a network partition, a stalled
    host): requests still end, with 503, within the connect and statement timeouts."""
    await upgrade_async(cluster.url)
    settings = conftest.test_settings(cluster.url, db_pool_timeout=2, db_command_timeout=2)
    container = Container(settings=settings)
    app = create_app(settings, container)
    frozen: list[int] = []
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            assert (await client.get("/api/v1/stats/users")).status_code == 200  # a pooled connection
            frozen = _cluster_pids(cluster)
            for pid in frozen:
                os.kill(pid, signal.SIGSTOP)
            for _ in range(3):
                started = time.monotonic()
                response = await client.get("/api/v1/stats/users")
                took = time.monotonic() - started
                assert response.status_code == 503, response.text
                assert took < 10, f"took {took:.1f} s"
            assert (await client.get("/health/live")).status_code == 200
            for pid in frozen:
                os.kill(pid, signal.SIGCONT)
            frozen = []

            async def serving() -> bool:
                return (await client.get("/api/v1/stats/users")).status_code == 200

            await _until(serving, within=15)
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
        await container.core.engine().dispose()
