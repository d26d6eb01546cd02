"""Text every store can hold. PostgreSQL's text cannot contain NUL, and no UTF-8 column can
hold a lone surrogate (``"\\udc00"``, a legal JSON escape that decodes to no character): both
are refused as input, with the field named, before a driver ever sees them."""

from __future__ import annotations

from domain.errors import InvalidInput


def is_storable(value: str) -> bool:
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def check_text(value: str, field_name: str) -> str:
    if "\x00" in value:
        raise InvalidInput(f"{field_name} must not contain NUL characters", field_name)
    if not is_storable(value):
        raise InvalidInput(f"{field_name} must be valid Unicode text (no lone surrogates)", field_name)
    return value
