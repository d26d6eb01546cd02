"""Strong ETags and ``If-Match``, shared by every context whose resources can be edited.

An ETag covers a resource's whole representation: its own ``updated_at`` (microseconds; every
change bumps it) and the fields it shows of other rows (an owner's or author's username), so a
rename elsewhere is a new representation too. Quoted, as RFC 9110 wants.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from domain.errors import PreconditionFailed


def strong_etag(kind: str, resource_id: int, updated_at: datetime, *shown: str) -> str:
    """The strong ETag of one representation of ``kind`` (``"item"``, ``"post"``)."""
    stamp = updated_at.astimezone(UTC).isoformat()
    text = ":".join((kind, str(resource_id), stamp, *shown))
    return f'"{hashlib.sha256(text.encode()).hexdigest()[:20]}"'


def if_match_ok(if_match: str | None, etag: str) -> bool:
    """RFC 9110 If-Match with strong comparison: absent or ``*`` matches any current resource;
    a weak tag (``W/"..."``) never matches."""
    if if_match is None:
        return True
    if if_match.strip() == "*":
        return True
    for candidate in if_match.split(","):
        tag = candidate.strip()
        if tag and not tag.startswith("W/") and tag.strip('"') == etag.strip('"'):
            return True
    return False


def needs_etag(if_match: str | None) -> bool:
    """Whether ``If-Match`` names a real tag (so the current ETag must be computed)."""
    return if_match is not None and if_match.strip() != "*"


async def require_match(if_match: str | None, current: Callable[[], Awaitable[str]], what: str) -> None:
    """Raises ``PreconditionFailed`` when ``If-Match`` names a tag and none of its tags is the
    current one; ``current`` (which may need a read) runs only then."""
    if needs_etag(if_match) and not if_match_ok(if_match, await current()):
        raise PreconditionFailed(f"The {what} has changed since it was read (If-Match does not match)")
