"""The edge of every request, in one pure ASGI middleware: request id, body limit, ``HEAD``,
security headers, the request log line and the HTTP metrics.

These were five middlewares; each wrapped ``send`` (and some ``receive``) in a closure of its
own and rescanned the headers, ~170 us of CPU per request together, a third of a by-id read
(docs/adr/0020-native-read-path.md). Here one wrapper does all of it in one pass over the
response head. CORS (when configured) runs inside, so its answers get the same headers and
log line.

* Request id: a sane incoming ``X-Request-ID`` is echoed, else one is made
  (``middleware.new_request_id``); it is in ``scope["state"]["request_id"]`` and on every answer.
* Body limit: a body over ``max_bytes`` is refused with 413, by ``Content-Length`` before
  anything is read, or while a chunked body streams in. The ``HTTPException`` raised from
  ``receive`` surfaces where the endpoint reads its body and reaches the problem handler.
* ``HEAD`` runs as ``GET`` in a copy of the scope and answers status and headers without the
  body (RFC 9110 9.3.2); what routing adds to the copy (the matched route) is copied back.
* Security headers on every answer, errors included (``middleware.SecurityHeaders``).
* One log line per request: request id, method, route template, path, status, duration, the
  caller's user id when a token was accepted, and the SQL statements the request sent. An
  exception no handler turned into a response is answered here with the 500 problem and logged
  once with its traceback; it is not re-raised unless the answer had already started.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infrastructure.observability.sql import track_request
from interfaces.http.middleware import (
    REQUEST_ID_HEADER,
    SecurityHeaders,
    new_request_id,
)
from interfaces.http.observability import RequestLog
from interfaces.http.problems import internal_error


class EdgeMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        no_store_paths: Collection[str] = (),
        pool: Callable[[], Any] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.security = SecurityHeaders(no_store_paths)
        self.log = RequestLog(pool)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started_at = time.perf_counter()
        incoming = authorization = length = chunked = None
        for key, value in scope["headers"]:  # one pass over the request head
            if key == REQUEST_ID_HEADER:
                incoming = incoming or bytes(value).decode("latin-1")
            elif key == b"authorization":
                authorization = True
            elif key == b"content-length":
                length = bytes(value)
            elif key == b"transfer-encoding":
                chunked = True
        request_id = (
            incoming if incoming and len(incoming) <= 128 and incoming.isprintable() else new_request_id()
        )
        scope.setdefault("state", {})["request_id"] = request_id
        no_store = authorization is not None or scope["path"] in self.security.no_store_paths
        head = scope["method"] == "HEAD"
        status = 499  # stays so only when the client went away before any answer (nginx's code)
        response_started = False

        async def edge_send(message: Message) -> None:
            nonlocal status, response_started
            kind = message["type"]
            if kind == "http.response.start":
                status, response_started = message["status"], True
                message["headers"] = self.security.finish(message.get("headers", ()), request_id, no_store)
            elif head:
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        if length is not None or chunked:
            receive = self._limited(receive, length)
        app_scope = {**scope, "method": "GET"} if head else scope
        error: Exception | None = None
        too_late = False  # the error came after the answer had started: no problem body possible
        with track_request() as stats:
            try:
                await self.app(app_scope, receive, edge_send)
            except Exception as exc:  # noqa: BLE001 - answered with the 500 problem and logged
                error, too_late = exc, response_started
                if not too_late:
                    await internal_error(scope)(scope, receive, edge_send)
            finally:
                if head:
                    scope.update((k, v) for k, v in app_scope.items() if k != "method")
                self.log.record(scope, status, time.perf_counter() - started_at, stats.sql_statements, error)
        if error is not None and too_late:
            raise error  # let the server drop the connection

    def _limited(self, receive: Receive, length: bytes | None) -> Receive:
        declared_too_large = length is not None and length.isdigit() and int(length) > self.max_bytes
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            if declared_too_large:
                raise self._too_large()
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise self._too_large()
            return message

        return limited_receive

    def _too_large(self) -> HTTPException:
        return HTTPException(413, f"The request body exceeds {self.max_bytes} bytes")
