"""Pure ASGI middleware (no BaseHTTPMiddleware: it costs a task and a copy per request)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Collection

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = b"x-request-id"
# Generated ids: a random per-process prefix and a counter, 32 hex characters. Unique without a
# syscall per request (uuid4 reads the OS entropy pool each time: ~5% of a cheap request).
_PROCESS_PREFIX = os.urandom(8).hex()
_counter = itertools.count(1)


def header(scope: Scope, name: bytes) -> bytes | None:
    """First value of a request header (names arrive lower-cased), without building a dict."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def new_request_id() -> str:
    return f"{_PROCESS_PREFIX}{next(_counter):016x}"


class RequestIdMiddleware:
    """Echoes a sane incoming ``X-Request-ID`` or makes one, on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = (header(scope, REQUEST_ID_HEADER) or b"").decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 128 and incoming.isprintable() else new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != REQUEST_ID_HEADER]
                headers.append((REQUEST_ID_HEADER, request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)


class BodyLimitMiddleware:
    """Refuses bodies over ``max_bytes`` with 413: by Content-Length before reading anything, or
    while a chunked body streams in. The HTTPException raised from ``receive`` surfaces where the
    endpoint reads its body and reaches the problem handler like any other HTTP error."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = header(scope, b"content-length") or b""
        declared_too_large = length.isdigit() and int(length) > self.max_bytes
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

        await self.app(scope, limited_receive, send)

    def _too_large(self) -> HTTPException:
        return HTTPException(413, f"The request body exceeds {self.max_bytes} bytes")


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# API answers are data, never a page: nothing may load from them or frame them. The HTML docs
# pages run their own (local) scripts, so they only forbid framing.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
HTML_CSP = "frame-ancestors 'none'"
_SECURITY_RAW = [(name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]
_API_CSP_RAW, _HTML_CSP_RAW = API_CSP.encode(), HTML_CSP.encode()
_NO_STORE_RAW = (b"cache-control", b"no-store")


class SecurityHeadersMiddleware:
    """Adds the security headers to every response, errors included. (The ``Server`` banner is
    switched off in ``bazaar serve``: uvicorn adds it after the application.)

    ``Cache-Control: no-store`` goes on every answer to a request that carried an
    ``Authorization`` header (it may hold private data, and shared caches must not keep it) and
    on every answer under ``no_store_paths`` (the token endpoint: credentials go in, a token
    comes out), unless the route set a ``Cache-Control`` of its own."""

    def __init__(self, app: ASGIApp, no_store_paths: Collection[str] = ()) -> None:
        self.app = app
        self.no_store_paths = frozenset(no_store_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = scope["path"] in self.no_store_paths or header(scope, b"authorization") is not None

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # One pass over the raw header list (MutableHeaders rescans it per lookup).
                raw = list(message.get("headers", ()))
                present = {bytes(name).lower(): bytes(value) for name, value in raw}
                raw.extend(item for item in _SECURITY_RAW if item[0] not in present)
                if b"content-security-policy" not in present:
                    html = present.get(b"content-type", b"").startswith(b"text/html")
                    raw.append((b"content-security-policy", _HTML_CSP_RAW if html else _API_CSP_RAW))
                if no_store and b"cache-control" not in present:
                    raw.append(_NO_STORE_RAW)
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HeadMiddleware:
    """Answers ``HEAD`` wherever ``GET`` is served, exactly as ``GET`` would (status and headers,
    ``Content-Length`` and ``ETag`` included) but without the body (RFC 9110 9.3.2). Starlette's
    ``Route`` adds HEAD to GET routes; FastAPI's ``APIRoute`` does not, so without this every
    HEAD would be a 405. The OpenAPI document keeps listing GET operations only (HEAD is implied).

    The request goes on as a GET in a copy of the scope: the server reads ``scope["method"]`` to
    know that the response has no body, so the original scope keeps saying HEAD. What routing
    adds to the copy (the matched route, for the request log and metrics) is copied back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        as_get = {**scope, "method": "GET"}

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.start":
                await send(message)
            elif not message.get("more_body", False):  # the last body message (or a pathsend)
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        try:
            await self.app(as_get, receive, send_without_body)
        finally:
            scope.update((key, value) for key, value in as_get.items() if key != "method")
