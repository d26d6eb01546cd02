"""Schemas every context shares: problem bodies, the page envelope, timestamps and ids."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
)

from domain.text import is_storable

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


def storable(value: str) -> str:
    """Text no store can hold (NUL, a lone surrogate such as the JSON escape ``"\\udc00"``) is a
    422 naming the field, never a driver error (which would be a 503 or a 500)."""
    if not is_storable(value):
        raise ValueError("must not contain NUL characters or lone surrogates")
    return value


# Free text in a query parameter (search terms).
QueryText = Annotated[str, AfterValidator(storable)]


class InputModel(BaseModel):
    """Request bodies: unknown fields are a 422, so nothing can be mass-assigned; every string
    in them (lists of strings too) must be text a database can store."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            storable(value)
        elif isinstance(value, list | tuple):
            for element in value:
                if isinstance(element, str):
                    storable(element)
        return value


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
