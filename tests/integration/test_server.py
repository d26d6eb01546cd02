"""``bazaar serve`` as operators run it: graceful shutdown on SIGTERM, and metrics summed over
several worker processes."""

from __future__ import annotations

import json
import signal
import socket
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.serving import serve


def _read_response(sock: socket.socket) -> bytes:
    sock.settimeout(20)
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_sigterm_finishes_the_request_in_flight_then_exits_0(tmp_path: Path) -> None:
    with serve(tmp_path, env={"LOG_FORMAT": "json"}) as server:
        body = json.dumps(
            {"email": "late@example.com", "username": "late", "password": "password-123"}
        ).encode()
        head = (
            "POST /api/v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(head + body[:10])  # the request is in flight: its body is still arriving
            time.sleep(0.5)
            server.process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            assert server.process.poll() is None, "the server quit with a request in flight"
            sock.sendall(body[10:])
            raw = _read_response(sock)
        assert server.process.wait(timeout=20) == 0

    status_line, _, rest = raw.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 201 Created", raw
    headers = rest.split(b"\r\n\r\n", 1)[0].lower()
    assert b"\r\nserver:" not in b"\r\n" + headers  # no server banner
    assert b"x-content-type-options: nosniff" in headers

    events = [json.loads(line) for line in server.logs().splitlines() if line.startswith("{")]
    assert any(e.get("event") == "request" and e.get("status") == 201 for e in events)
    assert any(e.get("event") == "shutdown complete" and e.get("engine") == "disposed" for e in events)


def test_metrics_are_summed_over_worker_processes(tmp_path: Path) -> None:
    route = {"method": "GET", "route": "/api/v1/stats/users", "status": "200"}
    requests = 24
    with serve(tmp_path, "--workers", "2") as server:
        for _ in range(requests):  # a new connection each time, so both workers take some
            with httpx.Client(base_url=server.base_url) as client:
                assert client.get("/api/v1/stats/users").status_code == 200
        for _ in range(4):  # whichever worker answers, the totals are the same
            with httpx.Client(base_url=server.base_url) as client:
                text = client.get("/metrics").text
            counted = sum(
                s.value
                for family in text_string_to_metric_families(text)
                for s in family.samples
                if s.name == "http_requests_total" and all(s.labels.get(k) == v for k, v in route.items())
            )
            assert counted == requests, text
            assert "db_pool_idle" in text and "db_slow_queries_total" in text
