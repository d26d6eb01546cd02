"""``If-Match`` (RFC 9110, strong comparison), shared by every context whose resources carry an
ETag: a use case checks it against the current representation inside its transaction, after
locking the row, so the check and the write that follows see the same version."""

from __future__ import annotations


def if_match_ok(if_match: str | None, etag: str) -> bool:
    """Absent or ``*`` matches any current representation; a weak tag (``W/"..."``) never
    matches."""
    if if_match is None:
        return True
    if if_match.strip() == "*":
        return True
    for candidate in if_match.split(","):
        tag = candidate.strip()
        if tag and not tag.startswith("W/") and tag.strip('"') == etag.strip('"'):
            return True
    return False


def needs_check(if_match: str | None) -> bool:
    """Whether ``if_match`` names a tag (so the current representation must be built)."""
    return if_match is not None and if_match.strip() != "*"
