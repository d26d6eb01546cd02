"""What the edge (``interfaces.http.edge``) puts on every answer: the request id and the security
headers."""

from __future__ import annotations

import itertools
import os
from collections.abc import Collection, Iterable
from typing import Any

from starlette.types import Scope

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


class SecurityHeaders:
    """The security headers of every answer, errors included, and its request id. (The
    ``Server`` banner is switched off in ``bazaar serve``: uvicorn adds it after the application.)

    ``Cache-Control: no-store`` goes on every answer to a request that carried an
    ``Authorization`` header (it may hold private data, and shared caches must not keep it) and
    on every answer under ``no_store_paths`` (the token endpoint: credentials go in, a token
    comes out), unless the route set a ``Cache-Control`` of its own."""

    def __init__(self, no_store_paths: Collection[str] = ()) -> None:
        self.no_store_paths = frozenset(no_store_paths)

    def finish(self, headers: Iterable[tuple[bytes, bytes]], request_id: str, no_store: bool) -> list[Any]:
        """The answer's raw headers with the request id (replacing any the app set) and the
        security headers it lacks, in one pass over the list."""
        raw: list[Any] = []
        csp = cache_control = False
        html = False
        missing = dict(_SECURITY_RAW)
        for name, value in headers:
            name = bytes(name).lower()
            if name == REQUEST_ID_HEADER:
                continue
            if name in missing:
                del missing[name]
            elif name == b"content-security-policy":
                csp = True
            elif name == b"cache-control":
                cache_control = True
            elif name == b"content-type":
                html = bytes(value).startswith(b"text/html")
            raw.append((name, value))
        raw.extend(missing.items())
        if not csp:
            raw.append((b"content-security-policy", _HTML_CSP_RAW if html else _API_CSP_RAW))
        if no_store and not cache_control:
            raw.append(_NO_STORE_RAW)
        raw.append((REQUEST_ID_HEADER, request_id.encode("latin-1")))
        return raw
