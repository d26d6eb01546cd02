"""Connection limits of ``bazaar serve`` against a real server and raw sockets: bounded request
heads (431), head/body/keep-alive timeouts, the connection cap per worker (503), and the limits
holding in every worker process. Stock uvicorn with httptools fails each test here."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from infrastructure.settings import Settings
from tests.serving import Server, serve

TIMEOUT = 1.0  # HEADER_TIMEOUT, BODY_TIMEOUT and KEEPALIVE_TIMEOUT of the shared server
MARGIN = 2.0  # how much later than its timeout the server may close a connection
LIMITS = (
    "MAX_HEADER_BYTES",
    "MAX_HEADERS",
    "HEADER_TIMEOUT",
    "BODY_TIMEOUT",
    "KEEPALIVE_TIMEOUT",
    "MAX_CONNECTIONS",
)
FAST = {"HEADER_TIMEOUT": "1", "BODY_TIMEOUT": "1", "KEEPALIVE_TIMEOUT": "1", "LOG_FORMAT": "json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Default head limits (64 KiB, 100 fields), one-second timeouts."""
    with serve(tmp_path_factory.mktemp("limits"), env=FAST) as running:
        yield running


def _connect(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def _send(sock: socket.socket, data: bytes) -> None:
    # The server may refuse before the client is done; its answer is still readable.
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        sock.sendall(data)


def _until_closed(sock: socket.socket, within: float) -> tuple[bytes, float]:
    """Reads until the server closes the connection; the bytes and the seconds it took. Fails
    when the connection is still open after ``within`` seconds."""
    started = time.monotonic()
    chunks = []
    sock.settimeout(within)
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
            sock.settimeout(max(0.01, within - (time.monotonic() - started)))
    except ConnectionResetError:
        pass
    except TimeoutError:
        pytest.fail(f"the server kept the connection open for {within} s; got {b''.join(chunks)[:200]!r}")
    return b"".join(chunks), time.monotonic() - started


def _read_response(sock: socket.socket) -> tuple[bytes, bytes]:
    """One response on a kept-alive connection (Content-Length framed): head and body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed mid-response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.lower().split(b"\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in lines if line.startswith(b"content-length:"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed mid-body: {data!r}"
        body += chunk
    return head, body


def _get(*headers: bytes, close: bool = True) -> bytes:
    lines = [b"GET /health/live HTTP/1.1", b"Host: 127.0.0.1", *headers]
    if close:
        lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _ask(server: Server, request: bytes) -> bytes:
    with _connect(server) as sock:
        _send(sock, request)
        raw, _ = _until_closed(sock, within=10)
    return raw


def _status(raw: bytes) -> bytes:
    return raw.partition(b"\r\n")[0]


def _refused_431(raw: bytes) -> dict[str, object]:
    head, _, body = raw.partition(b"\r\n\r\n")
    assert _status(raw) == b"HTTP/1.1 431 Request Header Fields Too Large", raw[:300]
    lowered = head.lower()
    assert b"\r\nconnection: close" in lowered and b"\r\ncontent-type: application/problem+json" in lowered
    assert b"\r\nx-content-type-options: nosniff" in lowered
    problem: dict[str, object] = json.loads(body)
    assert problem["status"] == 431 and problem["type"] == "/problems/request-header-fields-too-large"
    return problem


def test_a_1_mib_header_is_refused_with_431_and_the_connection_closed(server: Server) -> None:
    with _connect(server) as sock:
        _send(sock, _get(b"X-Big: " + b"a" * (1024 * 1024), close=False))
        raw, elapsed = _until_closed(sock, within=5)
    problem = _refused_431(raw)
    assert "65536 bytes" in str(problem["detail"])
    assert elapsed < TIMEOUT  # refused on the spot, not timed out
    assert _status(_ask(server, _get())) == b"HTTP/1.1 200 OK"  # the worker is fine


def test_a_head_of_exactly_max_header_bytes_is_served_one_byte_more_is_431(server: Server) -> None:
    def head_of(size: int) -> bytes:
        filler = size - len(_get(b"X-Fill: "))
        request = _get(b"X-Fill: " + b"f" * filler)
        assert len(request) == size
        return request

    assert _status(_ask(server, _get(b"X-Moderate: " + b"m" * 8192))) == b"HTTP/1.1 200 OK"
    assert _status(_ask(server, head_of(64 * 1024))) == b"HTTP/1.1 200 OK"
    _refused_431(_ask(server, head_of(64 * 1024 + 1)))


def test_more_than_max_headers_fields_is_431(server: Server) -> None:
    def fields(count: int) -> bytes:  # Host and Connection are two of them
        return _get(*(b"X-Field-%d: v" % i for i in range(count - 2)))

    assert _status(_ask(server, fields(100))) == b"HTTP/1.1 200 OK"
    problem = _refused_431(_ask(server, fields(101)))
    assert "100 header fields" in str(problem["detail"])


def test_half_a_head_then_silence_is_closed_after_header_timeout(server: Server) -> None:
    with _connect(server) as sock:
        _send(sock, b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        raw, elapsed = _until_closed(sock, within=TIMEOUT + MARGIN)
    assert elapsed > TIMEOUT - 0.2
    assert _status(raw) == b"HTTP/1.1 408 Request Timeout", raw


def test_a_head_dripping_in_is_closed_after_header_timeout(server: Server) -> None:
    """Slowloris: each byte arrives in time, the head as a whole does not."""
    started = time.monotonic()
    with _connect(server) as sock:
        sock.settimeout(0.25)
        try:
            for byte in b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X: y\r\n" * 40:
                sock.sendall(bytes([byte]))
                try:
                    if sock.recv(65536) == b"":
                        break  # closed
                except TimeoutError:
                    pass
                assert time.monotonic() - started < TIMEOUT + MARGIN, "the server waits for ever"
        except (BrokenPipeError, ConnectionResetError):
            pass
    assert TIMEOUT - 0.2 < time.monotonic() - started < TIMEOUT + MARGIN


def test_a_connection_that_sends_nothing_is_closed(server: Server) -> None:
    with _connect(server) as sock:
        raw, elapsed = _until_closed(sock, within=TIMEOUT + MARGIN)
    assert raw == b""  # nothing was asked, nothing is answered
    assert elapsed > TIMEOUT - 0.2


def test_a_body_that_stalls_is_closed_after_body_timeout(server: Server) -> None:
    head = (
        b"POST /api/v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n"
    )
    with _connect(server) as sock:
        _send(sock, head + b'{"email": ')  # 10 of the 1000 bytes, then nothing
        raw, elapsed = _until_closed(sock, within=TIMEOUT + MARGIN)
    assert elapsed > TIMEOUT - 0.2
    assert _status(raw) == b"HTTP/1.1 408 Request Timeout", raw
    assert json.loads(raw.partition(b"\r\n\r\n")[2])["type"] == "/problems/request-timeout"


def test_an_idle_keep_alive_connection_is_closed_after_keepalive_timeout(server: Server) -> None:
    with _connect(server) as sock:
        _send(sock, _get(close=False))
        head, _ = _read_response(sock)
        assert _status(head) == b"HTTP/1.1 200 OK" and b"connection: close" not in head.lower()
        _send(sock, _get(close=False))  # the connection is reused
        assert _status(_read_response(sock)[0]) == b"HTTP/1.1 200 OK"
        raw, elapsed = _until_closed(sock, within=TIMEOUT + MARGIN)  # uvicorn's default is 5 s
    assert raw == b""
    assert elapsed > TIMEOUT - 0.2


def test_connections_beyond_max_connections_get_503(tmp_path: Path) -> None:
    """uvicorn's ``limit_concurrency`` (MAX_CONNECTIONS + 1): a request on a connection beyond
    MAX_CONNECTIONS open ones is answered 503 and that connection closed; the others go on."""
    with serve(tmp_path, env={"MAX_CONNECTIONS": "2", "KEEPALIVE_TIMEOUT": "30"}) as server:
        time.sleep(0.3)  # the readiness probe's connection is gone
        first, second = _connect(server), _connect(server)
        try:
            for sock in (first, second):
                _send(sock, _get(close=False))
                assert _status(_read_response(sock)[0]) == b"HTTP/1.1 200 OK"
            raw = _ask(server, _get(close=False))  # a third connection, the first two still open
            assert _status(raw) == b"HTTP/1.1 503 Service Unavailable", raw
            assert b"\r\nconnection: close" in raw.lower()
            _send(first, _get(close=False))  # the connections within the cap are still served
            assert _status(_read_response(first)[0]) == b"HTTP/1.1 200 OK"
        finally:
            first.close()
        deadline = time.monotonic() + 5
        while _status(raw := _ask(server, _get())) != b"HTTP/1.1 200 OK":  # room again
            assert time.monotonic() < deadline, raw
            time.sleep(0.1)
        second.close()


def test_every_worker_enforces_the_head_limits(tmp_path: Path) -> None:
    """With --workers 2 each spawned worker builds its own protocol: both must refuse a head over
    a non-default MAX_HEADER_BYTES (stock uvicorn, or a worker with the default, serves it)."""
    env = {"MAX_HEADER_BYTES": "16384", "MAX_HEADERS": "20", "LOG_FORMAT": "json"}
    with serve(tmp_path, "--workers", "2", env=env) as server:
        deadline = time.monotonic() + 30
        while len(workers := _serving_workers(server)) < 2:  # the second one may still be starting
            assert time.monotonic() < deadline, f"workers serving: {workers}\n{server.logs()}"
            time.sleep(0.2)
        assert _status(_ask(server, _get(b"X-Moderate: " + b"m" * 8192))) == b"HTTP/1.1 200 OK"
        refusing: set[int] = set()
        for attempt in range(100):  # new connections until both workers have refused some
            _refused_431(_ask(server, _get(b"X-Big: " + b"b" * 32 * 1024)))
            _refused_431(_ask(server, _get(*(b"X-F%d: v" % i for i in range(20)))))
            if attempt % 5 == 4:
                events = _events(server)
                refusing = {event["pid"] for event in events if event["event"] == "request head refused"}
                if refusing >= workers:
                    break
        assert refusing >= workers, f"refusals came from {refusing} only, workers {workers}"


def _events(server: Server) -> list[dict[str, Any]]:
    return [json.loads(line) for line in server.logs().splitlines() if line.startswith("{")]


def _serving_workers(server: Server) -> set[int]:
    """Pids of the worker processes that started serving and did not die since."""
    started, died = set(), set()
    for event in _events(server):
        if match := re.fullmatch(r"Started server process \[(\d+)\]", event["event"]):
            started.add(int(match[1]))
        elif match := re.fullmatch(r"Child process \[(\d+)\] died", event["event"]):
            died.add(int(match[1]))
    return started - died


def test_settings_bound_the_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    for name in LIMITS:
        monkeypatch.delenv(name, raising=False)
    defaults = Settings()
    assert (defaults.max_header_bytes, defaults.max_headers, defaults.max_connections) == (65536, 100, 1000)
    assert (defaults.header_timeout, defaults.body_timeout, defaults.keepalive_timeout) == (30, 60, 5)
    for field, value in [
        ("max_header_bytes", 512),
        ("max_headers", 5),
        ("header_timeout", 0),
        ("body_timeout", 0.5),
        ("keepalive_timeout", 0),
        ("max_connections", 0),
    ]:
        with pytest.raises(ValidationError):
            Settings.model_validate({field: value})
