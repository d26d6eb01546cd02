"""Offset and keyset pagination shared by every list endpoint.

A cursor is the sort key of the last row of a page (``(value, id)``), bound to the sort order and
to the filter it was issued for, and signed with HMAC-SHA256 so a client can neither forge one
nor replay it under another filter: see docs/adr/0003-pagination-cursors.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from domain.errors import BadRequest, InvalidInput

T = TypeVar("T")
KeyValue = str | int | None
Key = tuple[KeyValue, ...]

MAX_LIMIT = 100
DEFAULT_LIMIT = 20


@dataclass(frozen=True, slots=True)
class Sort:
    field: str
    descending: bool = False

    @classmethod
    def parse(cls, value: str, allowed: Sequence[str]) -> Sort:
        descending = value.startswith("-")
        name = value[1:] if descending else value
        if name not in allowed:
            raise InvalidInput(f"sort must be one of {', '.join(allowed)} (prefix - for descending)", "sort")
        return cls(name, descending)

    def __str__(self) -> str:
        return f"-{self.field}" if self.descending else self.field


@dataclass(frozen=True, slots=True)
class PageParams:
    """What a client asks of any list: the sort (a field name, ``-`` prefixed for descending),
    the page size, and either an offset or the ``next_cursor`` of the previous page."""

    sort: str
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class PageRequest:
    """What the caller asked for: ``after`` is the decoded cursor key, if any."""

    sort: Sort
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    after: Key | None = None


@dataclass(frozen=True, slots=True)
class Slice(Generic[T]):
    """What a query service returns: at most ``limit`` rows, the total, and the key of the
    last row when more rows follow (``None`` on the last page)."""

    items: list[T]
    total: int
    next_key: Key | None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
    next_cursor: str | None


class CursorCodec:
    """Encodes and verifies opaque cursors. Pure stdlib, so it lives in the application layer."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"bazaar-cursor:" + secret.encode()).digest()

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:16]

    def encode(self, sort: Sort, key: Key, scope: str) -> str:
        payload = json.dumps([str(sort), list(key), scope], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(self._sign(payload) + payload).decode().rstrip("=")

    def decode(self, cursor: str, sort: Sort, scope: str) -> Key:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError) as exc:
            raise BadRequest("cursor is not valid") from exc
        signature, payload = raw[:16], raw[16:]
        if len(signature) < 16 or not hmac.compare_digest(signature, self._sign(payload)):
            raise BadRequest("cursor is not valid")
        sort_text, key, cursor_scope = json.loads(payload)
        if sort_text != str(sort) or cursor_scope != scope:
            raise BadRequest("cursor was issued for another sort order or filter")
        return tuple(key)

    def page_request(self, params: PageParams, sorts: Sequence[str], scope: str) -> PageRequest:
        """Checks ``params`` against the list's sort allow-list and the page limits, and decodes
        the cursor, which must have been issued for the same sort and ``scope``."""
        sort = Sort.parse(params.sort, sorts)
        if not 1 <= params.limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", "limit")
        if params.offset < 0:
            raise InvalidInput("offset must be 0 or more", "offset")
        if params.cursor is not None and params.offset:
            raise BadRequest("use either cursor or offset, not both")
        after = self.decode(params.cursor, sort, scope) if params.cursor is not None else None
        return PageRequest(sort=sort, limit=params.limit, offset=params.offset, after=after)

    def page(self, request: PageRequest, found: Slice[T], scope: str) -> Page[T]:
        next_cursor = self.encode(request.sort, found.next_key, scope) if found.next_key is not None else None
        return Page(found.items, found.total, request.limit, request.offset, next_cursor)


def scope_of(*parts: object) -> str:
    """A short fingerprint of a filter, so a cursor only works for the filter it came from."""
    text = json.dumps([str(p) for p in parts], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]
