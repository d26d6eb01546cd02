"""The database goes away and comes back while the service runs, on PostgreSQL and MariaDB.

A throwaway server is started, migrated and served; it is stopped (a crash as far as the service
can tell) and started again, or frozen (SIGSTOP) and thawed. PostgreSQL: initdb into a temporary
directory, on a spare port, as the ``postgres`` OS user when running as root, stopped with
``pg_ctl stop -m immediate``. MariaDB: ``mariadb-install-db`` into a temporary directory and a
``mariadbd`` of its own on a spare port (as the ``mysql`` OS user when root), stopped with
SIGKILL. The shared servers on ports 5432 and 3306 are never touched. Skipped only when the
server's binaries are not installed and CI is not true.
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

    def pids(self) -> list[int]:
        """The postmaster (from its pid file) and its children (from /proc)."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        return [postmaster, *_children(postmaster)]

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


class MariaDB:
    """A mariadbd of its own (one process): ``start``/``stop`` (SIGKILL) at will, removed by
    ``destroy``. Grant tables are skipped: any user connects, with no password."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="bazaar-mariadb-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.user: list[str] = []
        if os.geteuid() == 0:  # mariadbd refuses root unless told: run it as the mysql OS user
            account = pwd.getpwnam("mysql")
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self.user = ["--user=mysql"]

    @property
    def url(self) -> str:
        return f"mysql+asyncmy://root@127.0.0.1:{self.port}/bazaar"

    def init(self) -> None:
        subprocess.run(
            [MARIADB_INSTALL_DB, "--no-defaults", f"--datadir={self.data}", *self.user, "--skip-test-db"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.start()
        subprocess.run(
            ["mariadb", "-uroot", "-h127.0.0.1", f"-P{self.port}", "-e", "CREATE DATABASE bazaar"],
            check=True,
            capture_output=True,
            timeout=30,
        )

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                MARIADBD,
                "--no-defaults",
                f"--datadir={self.data}",
                *self.user,
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--socket={self.root / 'sock'}",
                f"--pid-file={self.root / 'pid'}",
                f"--log-error={self.root / 'log'}",
                "--skip-grant-tables",
                "--innodb-buffer-pool-size=32M",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.root / "log").read_text()[-2000:]
            done = subprocess.run(
                ["mariadb", "-uroot", "-h127.0.0.1", f"-P{self.port}", "-e", "SELECT 1"], capture_output=True
            )
            if done.returncode == 0:
                return
            time.sleep(0.25)
        raise AssertionError("mariadbd did not answer within 60 s")

    def stop(self) -> None:
        assert self.process is not None
        self.process.kill()  # a crash: InnoDB recovers on the next start
        self.process.wait(timeout=30)
        self.process = None

    def pids(self) -> list[int]:
        assert self.process is not None
        return [self.process.pid]

    def destroy(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
        shutil.rmtree(self.root, ignore_errors=True)


MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
MARIADB_INSTALL_DB = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"


def _missing(message: str) -> None:
    if conftest.IN_CI:
        pytest.fail(message + "; CI=true requires the outage test")
    pytest.skip(message)


@pytest.fixture(params=["postgres", "mariadb"])
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster | MariaDB]:
    server: Cluster | MariaDB
    if request.param == "postgres":
        bin_dir = _pg_bin()
        if bin_dir is None:
            _missing("initdb/pg_ctl not installed (Debian: postgresql)")
        assert bin_dir is not None
        if os.geteuid() == 0 and shutil.which("runuser") is None:
            pytest.fail("running as root needs runuser to start PostgreSQL as the postgres user")
        server = Cluster(bin_dir)
    else:
        if not (os.access(MARIADBD, os.X_OK) and os.access(MARIADB_INSTALL_DB, os.X_OK)):
            _missing("mariadbd/mariadb-install-db not installed (Debian: mariadb-server)")
        server = MariaDB()
    try:
        server.init()
        if isinstance(server, Cluster):
            server.start()
        yield server
    finally:
        server.destroy()


async def _until(predicate, within: float) -> float:  # type: ignore[no-untyped-def]
    """Polls ``predicate`` (an async callable) until true; returns the seconds it took."""
    started = time.monotonic()
    while True:
        if await predicate():
            return time.monotonic() - started
        assert time.monotonic() - started < within, f"not within {within} s"
        await asyncio.sleep(0.25)


async def test_outage_gives_503_then_recovers_without_restart(cluster: Cluster | MariaDB) -> None:
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


def _children(parent: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[1]) == parent:
            children.append(int(stat.parent.name))
    return children


async def test_a_frozen_database_gives_503_not_a_hang(cluster: Cluster | MariaDB) -> None:
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
            frozen = cluster.pids()
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
