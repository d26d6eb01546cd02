"""``PageParams`` as one FastAPI dependency: ``sort``, ``limit``, ``offset`` and ``cursor`` are
declared once for every paginated list, with the list's own sort allow-list (from
``application``) as the enum the OpenAPI document shows.

No ``from __future__ import annotations`` here: the dependency's annotations must be evaluated
where they are written, since the sort ``Literal`` is built per list.
"""

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Literal

from fastapi import Query

from application.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageParams

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1, description="Rows to skip (not with cursor)")]
# Cursors are URL-safe base64 without padding (application.pagination.CursorCodec).
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+$"
Cursor = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=1000,
        pattern=CURSOR_PATTERN,
        description=(
            "`next_cursor` of the previous page of this same list (same `sort` and filters), not "
            "combined with `offset`. A cursor the service did not issue for this list (forged, "
            "tampered, or from another sort, filter or list) is a 400 `bad-request`."
        ),
    ),
]


def page_params(sorts: Sequence[str], default: str) -> Callable[..., Awaitable[PageParams]]:
    """The dependency of one list: ``sort`` is one of ``sorts``, ``-`` prefixed for descending."""
    choices = tuple(choice for name in sorts for choice in (name, f"-{name}"))
    assert default in choices, f"default sort {default!r} is not in {choices}"
    SortParam = Literal[choices]  # type: ignore[valid-type]

    async def dependency(  # async: a sync dependency would cost a thread-pool hop per request
        sort: SortParam = default,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
        cursor: Cursor = None,
    ) -> PageParams:
        return PageParams(sort=sort, limit=limit, offset=offset, cursor=cursor)

    return dependency
