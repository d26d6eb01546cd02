"""Schemas every context shares: problem bodies, the page envelope, timestamps and ids."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

T = TypeVar("T")

MAX_ID = 2**63 - 1
# A positive id that fits a BIGINT: anything larger is a 422, never a driver overflow (500).
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# ISO 8601 with an explicit UTC offset ("+00:00"), not pydantic's "Z".
Timestamp = Annotated[
    datetime,
    PlainSerializer(lambda v: v.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class InputModel(BaseModel):
    """Request bodies: unknown fields are a 422, so nothing can be mass-assigned."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ValidationErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ProblemOut(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(examples=["/problems/not-found"])
    title: str
    status: int
    detail: str
    instance: str
    field: str | None = None
    model_config = ConfigDict(extra="allow")


class ValidationProblemOut(ProblemOut):
    errors: list[ValidationErrorItem] = Field(default_factory=list)


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
    next_cursor: str | None


M = TypeVar("M", bound=BaseModel)
C = TypeVar("C")


def patch_command(body: BaseModel, command: Callable[..., C], **convert: Callable[[Any], Any]) -> C:
    """The one way a PATCH body becomes a command: only the fields the client sent (the
    command's other fields stay ``UNSET``), each passed through ``convert[name]`` if given."""
    given = {name: getattr(body, name) for name in body.model_fields_set}
    for name, to_domain in convert.items():
        if name in given and given[name] is not None:
            given[name] = to_domain(given[name])
    return command(**given)


def page_out(model: type[BaseModel], page: Any) -> dict[str, Any]:
    """The page envelope with each view converted by ``model``."""
    return {
        "items": [model.model_validate(v) for v in page.items],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
        "next_cursor": page.next_cursor,
    }
