"""Schemas every context shares: problem bodies, the page envelope, timestamps and ids."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Header, Path, Response
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)

from domain.errors import InvalidInput
from domain.text import is_storable
from domain.timestamps import SINCE_RULE, parse_since

T = TypeVar("T")

MAX_ID = 2**63 - 1
# A positive id that fits a BIGINT: anything larger is a 422, never a driver overflow (500).
# Written as "less than 2**63" (``exclusiveMaximum``): 2**63 is exact as a double, while
# 2**63 - 1 is not (it rounds up to 2**63), so clients and validators that read JSON numbers as
# doubles would take ``maximum: 9223372036854775807`` to admit 9223372036854775999.
ID_BOUND = MAX_ID + 1
IdPath = Annotated[int, Path(ge=1, lt=ID_BOUND)]


def whole_number(value: object) -> object:
    # JSON Schema's "integer" admits 7.0 (a number with no fraction): so does the server, while
    # strict validation still refuses "7", true and 7.5.
    return int(value) if isinstance(value, float) and value.is_integer() else value


# A whole number in a body (strict models): a JSON integer, or one written with a fraction (7.0).
WholeNumber = BeforeValidator(whole_number)
# An id in a body (strict models): a JSON integer, or a whole number written with a fraction.
Id = Annotated[int, Field(ge=1, lt=ID_BOUND), WholeNumber]
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


# What the OpenAPI document says of free text: no NUL anywhere (``storable`` refuses it). (Lone
# surrogates are refused too, but no JSON Schema pattern can name them: a schema-valid JSON text
# never holds one, only a ``\udc00`` escape does.) Patterns are written so that ECMA-262 (the
# schema's dialect), Rust's regex (pydantic's) and Python's re read them alike: ASCII escapes only.
NO_NUL = r"^[^\x00]*$"
# Python's ``str.isspace()`` characters (what ``str.strip()`` removes), spelled out, since ``\s``
# means something else in each dialect.
_SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# No NUL, and at least one character that is not blank (a title of blanks is refused).
NOT_BLANK = rf"^[^\x00]*[^\x00{_SPACE}][^\x00]*$"

# Text in a body or a query parameter: no NUL (the schema says so) and storable.
Text = Annotated[str, StringConstraints(pattern=NO_NUL)]
# Free text in a query parameter (search terms).
QueryText = Annotated[str, StringConstraints(pattern=NO_NUL), AfterValidator(storable)]


def _since(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"must be {SINCE_RULE}")
    try:
        return parse_since(value)
    except InvalidInput as error:
        raise ValueError(f"must be {SINCE_RULE}") from error


# A ``since`` filter: an RFC 3339 date-time (with its offset) or a date (its first instant in
# UTC), as aware UTC; exactly what the two formats admit (``domain.timestamps``).
Since = Annotated[
    datetime,
    PlainValidator(_since),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]}
    ),
]
IfMatch = Annotated[
    str | None, Header(max_length=1000, description="ETag of the version being changed (412 if stale)")
]


def _without_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def omitted() -> Any:
    """The default of a PATCH field that may be omitted but not sent as null: ``None`` when the
    field is left out, and no ``default: null`` in the OpenAPI document (null is refused). The
    annotation says ``X | SkipJsonSchema[None]`` so the schema shows ``X`` alone."""
    return Field(default=None, json_schema_extra=_without_default)


class InputModel(BaseModel):
    """Request bodies: unknown fields are a 422, so nothing can be mass-assigned; every string
    in them (lists of strings too) must be text a database can store. Strict: a JSON value of
    another type than the schema says (``0`` for a boolean, ``"5"`` for an id) is a 422, never
    coerced, so the server accepts exactly what the OpenAPI document admits."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, strict=True)

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


# A validation problem lists at most this many errors (the first ones) and counts them all.
MAX_LISTED_ERRORS = 50


class ValidationProblemOut(ProblemOut):
    errors: list[ValidationErrorItem] = Field(
        default_factory=list,
        max_length=MAX_LISTED_ERRORS,
        description=f"The first {MAX_LISTED_ERRORS} validation errors",
    )
    error_count: int = Field(
        default=0,
        ge=0,
        description=f"How many errors the request had (`errors` lists at most {MAX_LISTED_ERRORS})",
    )


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


def page_document(document: Callable[[Any], dict[str, Any]], page: Any) -> dict[str, Any]:
    """``page_out`` for a context whose views have a document function (``item_document``): the
    same envelope, JSON-ready, without building a model per element."""
    return {
        "items": [document(v) for v in page.items],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
        "next_cursor": page.next_cursor,
    }


def json_response(document: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer rendered by orjson from a JSON-ready document. FastAPI sends a returned
    ``Response`` as it is: the route's ``response_model`` still documents it in OpenAPI."""
    return Response(
        orjson.dumps(document), status_code=status_code, headers=headers, media_type="application/json"
    )


def page_out(model: type[BaseModel], page: Any) -> dict[str, Any]:
    """The page envelope with each view converted by ``model``."""
    return {
        "items": [model.model_validate(v) for v in page.items],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
        "next_cursor": page.next_cursor,
    }
