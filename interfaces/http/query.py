"""A query parameter the OpenAPI document declares as one value is taken once: ``?q=a&q=b`` is a
422, where FastAPI would silently keep the last value. Parameters declared as arrays (``tag``)
repeat as they like; names no route declares are ignored, as always.

One app-wide dependency: the common case (no name repeated) costs a length comparison.
"""

from __future__ import annotations

import typing
from collections import Counter
from collections.abc import Iterator
from types import UnionType
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

_SEQUENCES = (list, tuple, set, frozenset)
_single_valued: dict[int, frozenset[str]] = {}  # id(route) → its scalar query parameters


def _is_sequence(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, UnionType):
        return any(_is_sequence(arg) for arg in typing.get_args(annotation))
    return origin in _SEQUENCES or annotation in _SEQUENCES


def _query_fields(dependant: Dependant) -> Iterator[Any]:
    pending = [dependant]
    while pending:
        current = pending.pop()
        yield from current.query_params
        pending.extend(current.dependencies)


def _scalar_names(route: APIRoute) -> frozenset[str]:
    names = _single_valued.get(id(route))
    if names is None:
        fields = _query_fields(route.dependant)
        names = frozenset(field.alias for field in fields if not _is_sequence(field.field_info.annotation))
        _single_valued[id(route)] = names
    return names


async def single_valued_query(request: Request) -> None:
    params = request.query_params
    if len(params.multi_items()) == len(params):  # no name given twice
        return
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    scalar = _scalar_names(route)
    repeated = [name for name, n in Counter(key for key, _ in params.multi_items()).items() if n > 1]
    errors = [
        {
            "loc": ("query", name),
            "msg": "must be given at most once",
            "type": "repeated_parameter",
            "input": params.getlist(name),
        }
        for name in repeated
        if name in scalar
    ]
    if errors:
        raise RequestValidationError(errors)
