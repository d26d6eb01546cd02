"""Logging format, metrics rendering and the request log (no database, no processes)."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from infrastructure.observability import metrics
from infrastructure.observability.logs import EventLog, configure_logging, formatter, get_logger
from infrastructure.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def samples(text: str) -> list[Sample]:
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def value(text: str, name: str, **labels: str) -> float:
    found = [
        s.value
        for s in samples(text)
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    return sum(found)


# --- logs -----------------------------------------------------------------------------------


@pytest.fixture
def json_log() -> io.StringIO:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    logger = logging.getLogger("bazaar.test")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)


def test_json_lines_carry_the_event_and_its_fields(json_log: io.StringIO) -> None:
    get_logger("bazaar.test").info("request", method="GET", status=200, user_id=7)
    logging.getLogger("bazaar.test").warning("plain %s record", "stdlib")
    first, second = (json.loads(line) for line in json_log.getvalue().splitlines())
    assert first["event"] == "request" and first["status"] == 200 and first["user_id"] == 7
    assert first["level"] == "info" and first["logger"] == "bazaar.test" and "timestamp" in first
    assert second["event"] == "plain stdlib record" and second["level"] == "warning"


def test_the_request_line_is_the_same_written_directly_or_through_the_handlers() -> None:
    """``EventLog`` writes straight to Bazaar's JSON handler when it is the only one; the line
    must be what the handler itself writes (here: with a second handler, the standard path)."""
    direct, standard = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        root.handlers.clear()
        configure_logging("INFO", "json", stream=direct)
        EventLog("bazaar.test.fast").info("request", status=200, path="/x", user_id=None)
        extra = logging.StreamHandler(standard)
        extra.setFormatter(formatter("json"))
        root.addHandler(extra)
        EventLog("bazaar.test.fast").info("request", status=200, path="/x", user_id=None)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    fast, slow = json.loads(direct.getvalue().splitlines()[0]), json.loads(standard.getvalue())
    assert fast.pop("timestamp").endswith("Z") and slow.pop("timestamp").endswith("Z")
    assert (
        fast
        == slow
        == {
            "event": "request",
            "status": 200,
            "path": "/x",
            "user_id": None,
            "logger": "bazaar.test.fast",
            "level": "info",
        }
    )
    assert len(direct.getvalue().splitlines()) == 2  # the second line went through the handler


def test_an_exception_is_logged_once_with_its_traceback_and_no_locals(json_log: io.StringIO) -> None:
    secret = "hunter2-password"

    def fail(password: str) -> None:
        raise RuntimeError("boom")

    try:
        fail(secret)
    except RuntimeError as exc:
        get_logger("bazaar.test").error("request", exc_info=exc)
    (line,) = json_log.getvalue().splitlines()
    record = json.loads(line)
    assert "Traceback" in record["exception"] and "RuntimeError: boom" in record["exception"]
    assert secret not in line


def test_console_lines_are_readable_key_values() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("console"))
    logger = logging.getLogger("bazaar.test.console")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        get_logger("bazaar.test.console").info("request", route="/api/v1/users/{user_id}", status=404)
    finally:
        logger.removeHandler(handler)
    (line,) = stream.getvalue().splitlines()
    assert "request" in line and "route=/api/v1/users/{user_id}" in line and "status=404" in line
    assert "\x1b[" not in line  # no colour codes outside a terminal


STRONG = "5be0c4a1f0d94e7a9b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6"


def test_log_format_defaults_to_json_in_production_only() -> None:
    assert Settings(environment="development").log_renderer == "console"
    assert Settings(environment="production", secret_key=STRONG).log_renderer == "json"
    assert (
        Settings(environment="production", secret_key=STRONG, log_format="console").log_renderer == "console"
    )


def test_cors_origins_accept_a_comma_separated_list_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    assert Settings().cors_origins == ["https://a.example", "https://b.example"]
    monkeypatch.setenv("CORS_ORIGINS", '["https://c.example"]')
    assert Settings().cors_origins == ["https://c.example"]


# --- metrics across worker processes -----------------------------------------------------------


def test_single_process_mode_renders_the_default_registry() -> None:
    before = value(metrics.render().decode(), "idempotent_replays_total")
    metrics.IDEMPOTENT_REPLAYS.inc()
    assert value(metrics.render().decode(), "idempotent_replays_total") == before + 1


async def test_a_request_abandoned_by_its_client_is_counted_as_499() -> None:
    import asyncio

    from interfaces.http.edge import EdgeMiddleware

    async def never_answers(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        await asyncio.Event().wait()

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    async def send(message) -> None:  # type: ignore[no-untyped-def]
        raise AssertionError("nothing is sent")

    scope = {"type": "http", "method": "GET", "path": "/slow", "headers": [], "state": {}}
    labels = {"method": "GET", "route": metrics.UNMATCHED_ROUTE, "status": "499"}
    before = value(metrics.render().decode(), "http_requests_total", **labels)
    task = asyncio.create_task(EdgeMiddleware(never_answers, max_bytes=1024)(scope, receive, send))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert value(metrics.render().decode(), "http_requests_total", **labels) == before + 1
