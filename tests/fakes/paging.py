"""The read side's paging in memory: the same semantics as ``fetch_page`` over SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from application.pagination import Key, PageRequest, Slice


def _sort_value(view: Any, field_name: str) -> Any:
    return getattr(view, field_name)


def fake_page(views: list[Any], page: PageRequest, key_value: Any = _sort_value) -> Slice[Any]:
    """Sort, apply the keyset or offset, cut: the same semantics as ``fetch_page``."""
    sort = page.sort
    views = sorted(views, key=lambda v: (key_value(v, sort.field), v.id), reverse=sort.descending)
    if page.after is not None:
        after = (_decode_key(page.after[0], views, sort.field, key_value), page.after[1])

        def beyond(v: Any) -> bool:
            key = (key_value(v, sort.field), v.id)
            return key < after if sort.descending else key > after

        rest = [v for v in views if beyond(v)]
    else:
        rest = views[page.offset :]
    chosen = rest[: page.limit]
    next_key: Key | None = None
    if len(rest) > page.limit:
        last = chosen[-1]
        next_key = (_encode_key(key_value(last, sort.field)), last.id)
    return Slice(chosen, len(views), next_key)


def _encode_key(value: Any) -> Any:
    return (
        value.isoformat() if isinstance(value, datetime) else value if isinstance(value, int) else str(value)
    )


def _decode_key(raw: Any, views: list[Any], field_name: str, key_value: Any) -> Any:
    sample = next((key_value(v, field_name) for v in views), None)
    if isinstance(sample, datetime):
        return datetime.fromisoformat(raw)
    if sample is not None and not isinstance(sample, (str, int)):
        return type(sample)(raw)
    return raw
