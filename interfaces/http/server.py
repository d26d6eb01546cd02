"""The HTTP/1.1 protocol ``bazaar serve`` runs: uvicorn's httptools protocol with bounds on what one
client can make a worker hold.

Stock uvicorn with httptools buffers a request head of any size and waits for ever for a head or
a body that never completes. :class:`LimitedHttpToolsProtocol` adds:

* a bound on the request head (request line plus header fields, ``MAX_HEADER_BYTES``) and on the
  number of header fields (``MAX_HEADERS``): beyond either, ``431`` problem+json,
  ``Connection: close``, and nothing more of the request is parsed or kept;
* ``HEADER_TIMEOUT``: a head must be complete within that many seconds of the connection opening
  (first request) or of its first byte (later requests on a keep-alive connection);
* ``BODY_TIMEOUT``: a body must be complete within that many seconds of its head.

Idle keep-alive connections (``KEEPALIVE_TIMEOUT``) and the cap on connections per worker
(``MAX_CONNECTIONS``) are uvicorn's own options, set by ``bazaar serve``.

uvicorn builds one protocol object per connection with a fixed signature, and with ``--workers``
it builds them in spawned processes, which import this module afresh. The limits therefore come
from the environment (``Settings``); :func:`install` exports the values ``bazaar serve`` resolved
so every worker reads the same ones.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import asdict, dataclass, fields
from http import HTTPStatus
from typing import Any

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from infrastructure.settings import Settings
from interfaces.http.middleware import API_CSP, SECURITY_HEADERS
from interfaces.http.problems import PROBLEM_JSON

log = logging.getLogger("bazaar.server")

# After refusing a head, keep reading (and discarding) what the client is still sending for at
# most this long / this much, so that it can read the answer instead of a connection reset.
LINGER_SECONDS = 2.0
LINGER_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """The limits of one worker; field names are the ``Settings`` fields (env: upper case)."""

    max_header_bytes: int = 64 * 1024
    max_headers: int = 100
    header_timeout: float = 30.0
    body_timeout: float = 60.0
    keepalive_timeout: int = 5
    max_connections: int = 1000

    @classmethod
    def from_settings(cls, settings: Settings) -> ConnectionLimits:
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})

    def environ(self) -> dict[str, str]:
        return {name.upper(): str(value) for name, value in asdict(self).items()}

    @property
    def limit_concurrency(self) -> int:
        """uvicorn's ``limit_concurrency``: it answers 503 once the open connections (the new one
        included) or the requests in flight reach it, so ``max_connections`` connections are
        served and the next one is refused."""
        return self.max_connections + 1


# For uvicorn's ``http`` option. An import string, not the class: a spawned worker unpickles its
# config before it answers the supervisor's health checks, and importing this module (FastAPI and
# all) that early can outlast their 5 s; uvicorn imports the string once the worker runs.
PROTOCOL = "interfaces.http.server:LimitedHttpToolsProtocol"

_limits: ConnectionLimits | None = None


def install(limits: ConnectionLimits) -> None:
    """Use ``limits`` in this process and export them to the worker processes uvicorn spawns
    (they inherit the environment and read it through ``Settings``)."""
    global _limits
    _limits = limits
    os.environ.update(limits.environ())


def current_limits() -> ConnectionLimits:
    global _limits
    if _limits is None:
        _limits = ConnectionLimits.from_settings(Settings())
    return _limits


class _HeadRefused(Exception):
    """Raised from a parser callback to stop parsing a head that is over a limit."""


_SECURITY_RAW = [
    *((name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()),
    (b"content-security-policy", API_CSP.encode()),
]


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` with bounded request heads and head/body timeouts (see the module)."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        limits = current_limits()
        self.max_head_bytes = limits.max_header_bytes
        self.max_headers = limits.max_headers
        self.header_timeout = limits.header_timeout
        self.body_timeout = limits.body_timeout
        # Between the end of one message (or the connection opening) and the end of the next
        # head, the bytes received count against ``max_head_bytes``.
        self._in_head = True
        self._head_started = False
        self._head_bytes = 0
        self._header_fields = 0
        self._heads_completed = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._refusal: str | None = None
        self._draining = False
        self._drained = 0
        self._linger_timer: asyncio.TimerHandle | None = None

    # Connection

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # A connection that never sends a byte is closed too.
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in (self._head_timer, self._body_timer, self._linger_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._body_timer = self._linger_timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._draining:
            self._drained += len(data)
            if self._drained > LINGER_BYTES:
                self.transport.close()
            return
        self._unset_keepalive_if_required()
        rest: bytes | memoryview = data
        while rest:
            if not self._in_head:
                # A body (and whatever follows it in this read: a pipelined head is counted from
                # the next read on, so it may exceed the limit by at most one read).
                chunk, rest = rest, b""
                if not self._feed(chunk):
                    return
                continue
            budget = self.max_head_bytes - self._head_bytes
            if len(rest) > budget:
                view = memoryview(rest)
                chunk, rest = view[:budget], view[budget:]
            else:
                chunk, rest = rest, b""
            self._head_bytes += len(chunk)
            heads_before = self._heads_completed
            if chunk and not self._feed(chunk):
                return
            if rest and self._heads_completed == heads_before:
                # The head did not end within ``max_head_bytes`` and more is coming.
                self._refuse(f"the request head exceeds {self.max_head_bytes} bytes")
                return
        if self._in_head:
            if self._head_timer is None and (self._head_started or self._head_bytes):
                self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)
        elif self._body_timer is None:
            self._body_timer = self.loop.call_later(self.body_timeout, self._body_timed_out)

    def _feed(self, chunk: bytes | memoryview) -> bool:
        """Feeds the parser as uvicorn does; False when the connection is done with it (refused,
        invalid, upgraded)."""
        try:
            self.parser.feed_data(chunk)
        except httptools.HttpParserError:
            if self._refusal is not None:
                self._refuse(self._refusal)
                return False
            msg = "Invalid HTTP request received."
            self.logger.warning(msg)
            self.send_400_response(msg)
            return False
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return False
        return not self.transport.is_closing()

    # Parser callbacks

    def on_message_begin(self) -> None:
        self._head_started = True
        self._header_fields = 0
        super().on_message_begin()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_fields += 1
        if self._header_fields > self.max_headers:
            self._refusal = f"the request has more than {self.max_headers} header fields"
            raise _HeadRefused
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_started = False
        self._heads_completed += 1
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_head = True
        self._head_bytes = 0
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        super().on_message_complete()

    # Limits

    def _refuse(self, reason: str) -> None:
        log.warning(
            "request head refused", extra={"reason": reason, "client": self._peer(), "pid": os.getpid()}
        )
        for timer in (self._head_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._body_timer = None
        # Too many trailer fields (in a body) or a head behind a response still under way: an
        # answer now would be taken for the wrong request.
        if not (self._in_head and self._idle_between_responses()):
            self.transport.close()
            return
        self._write_problem(431, "request-header-fields-too-large", reason)
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        # Half-close after the answer and discard what is still arriving: closing a socket with
        # unread data resets the connection, and the client would likely lose the answer.
        self.transport.write_eof()
        self._draining = True
        self.flow.resume_reading()
        self._linger_timer = self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self.flow.read_paused:  # uvicorn is not reading (a pipelined request waits): not late
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)
            return
        if not (self._head_started or self._head_bytes):
            log.debug("idle connection closed", extra={"client": self._peer()})
            self.transport.close()
            return
        reason = f"the request head did not arrive within {self.header_timeout:g} s"
        log.info("request timed out", extra={"reason": reason, "client": self._peer()})
        if self._idle_between_responses():
            self._write_problem(408, "request-timeout", reason)
        self.transport.close()

    def _body_timed_out(self) -> None:
        self._body_timer = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        # Not the client's fault: uvicorn stopped reading (the application has not taken the body
        # so far, or a pipelined request waits), or the application has not yet asked for the
        # body the client holds back until "100 Continue".
        if self.flow.read_paused or (cycle is not None and cycle.waiting_for_100_continue):
            self._body_timer = self.loop.call_later(self.body_timeout, self._body_timed_out)
            return
        reason = f"the request body did not arrive within {self.body_timeout:g} s"
        log.info("request timed out", extra={"reason": reason, "client": self._peer()})
        if cycle is not None and not cycle.response_started and not self.pipeline:
            cycle.disconnected = True  # the application sees a disconnect and its answer is dropped
            cycle.message_event.set()
            self._write_problem(408, "request-timeout", reason)
        self.transport.close()

    def _idle_between_responses(self) -> bool:
        """No response is under way on this connection, so one may be written now."""
        return not self.pipeline and (self.cycle is None or self.cycle.response_complete)

    def _write_problem(self, status: int, slug: str, detail: str) -> None:
        title = HTTPStatus(status).phrase
        body = json.dumps({"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail})
        payload = body.encode()
        content = [STATUS_LINE[status]]
        headers = [
            *self.server_state.default_headers,
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(payload)).encode()),
            (b"connection", b"close"),
            *_SECURITY_RAW,
        ]
        for name, value in headers:
            content.extend((name, b": ", value, b"\r\n"))
        content.extend((b"\r\n", payload))
        self.transport.write(b"".join(content))

    def _peer(self) -> str | None:
        return f"{self.client[0]}:{self.client[1]}" if self.client else None
