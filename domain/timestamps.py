"""Instants given as text: ``since`` filters take an RFC 3339 date-time (an offset is required) or
a full date, which means the start of that day in UTC.

The grammar is exactly RFC 3339's (``T``/``Z`` in either case, any number of fraction digits, a
leap second ``:60``), so every value an OpenAPI ``date-time`` or ``date`` admits is understood,
and nothing else is: a date-time without an offset is ambiguous and refused. An instant beyond
what a ``datetime`` holds in UTC (``0001-01-01T00:00:00+01:00``) is the earliest or latest one.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from domain.errors import InvalidInput

_RFC3339 = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[Tt](?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})(?:\.(?P<fraction>\d+))?"
    r"(?:(?P<utc>[Zz])|(?P<sign>[+-])(?P<off_hour>\d{2}):(?P<off_minute>\d{2})))?",
    re.ASCII,
)
EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


SINCE_RULE = "a date (YYYY-MM-DD) or a date-time with an offset (YYYY-MM-DDThh:mm:ss+hh:mm or ...Z)"


def _refused(field_name: str) -> InvalidInput:
    return InvalidInput(f"{field_name} must be {SINCE_RULE}", field_name)


def parse_since(value: str, field_name: str = "since") -> datetime:
    """The instant ``value`` names, aware UTC; a date is its first instant in UTC."""
    found = _RFC3339.fullmatch(value)
    if found is None:
        raise _refused(field_name)
    try:
        day = date.fromisoformat(found["date"])
    except ValueError as exc:
        raise _refused(field_name) from exc
    if found["hour"] is None:
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    hour, minute, second = int(found["hour"]), int(found["minute"]), int(found["second"])
    utc = found["utc"] is not None
    off_hour = 0 if utc else int(found["off_hour"])
    off_minute = 0 if utc else int(found["off_minute"])
    if hour > 23 or minute > 59 or second > 60 or off_hour > 23 or off_minute > 59:
        raise _refused(field_name)
    micro = int((found["fraction"] or "0")[:6].ljust(6, "0"))
    # A leap second is the instant just after hh:mm:59.
    leap = timedelta(seconds=1) if second == 60 else timedelta(0)
    local = datetime(day.year, day.month, day.day, hour, minute, min(second, 59), micro)
    offset = timedelta(hours=off_hour, minutes=off_minute)
    if found["sign"] == "-":
        offset = -offset
    try:
        return (local - offset + leap).replace(tzinfo=UTC)
    except OverflowError:  # beyond year 1 or 9999 in UTC: every post is after, or none
        return EARLIEST if offset > timedelta(0) else LATEST
