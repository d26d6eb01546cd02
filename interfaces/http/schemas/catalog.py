"""Request and response schemas of the catalog context.

Money comes in as a string or a JSON number (at most two decimal places; an item price fits
``numeric(12,2)``, so at most 9999999999.99) and is parsed by the domain's ``parse_price``, so
the HTTP layer, the batch import and the CLI share one rule; it goes out as a string with exactly
two places.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)
from pydantic.json_schema import SkipJsonSchema

from application.catalog import MAX_BATCH
from application.catalog.views import BatchView, ItemView
from domain.catalog import (
    DESCRIPTION_MAX,
    PRICE_INTEGER_DIGITS,
    PRICE_PATTERN,
    TAG_MAX,
    TAGS_PER_ITEM,
    TITLE_MAX,
    parse_price,
)
from domain.errors import InvalidInput
from interfaces.http.problems import problem_body
from interfaces.http.schemas.common import (
    NO_NUL,
    NOT_BLANK,
    Id,
    InputModel,
    OutputModel,
    ProblemOut,
    Timestamp,
    omitted,
)


def _money_in(value: object) -> Decimal:
    try:
        return parse_price(value)
    except InvalidInput as error:
        raise ValueError(error.detail) from error


MoneyIn = Annotated[
    Decimal,
    PlainValidator(_money_in),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": PRICE_PATTERN, "examples": ["19.90"]},
                {
                    "type": "number",
                    "minimum": 0,
                    "exclusiveMaximum": float(10**PRICE_INTEGER_DIGITS),
                    "multipleOf": 0.01,
                },
            ]
        }
    ),
]
MoneyOut = Annotated[
    Decimal,
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str),
    WithJsonSchema(
        {"type": "string", "pattern": rf"^\d{{1,{PRICE_INTEGER_DIGITS}}}\.\d{{2}}$", "examples": ["19.90"]}
    ),
]
Title = Annotated[str, StringConstraints(min_length=1, max_length=TITLE_MAX, pattern=NOT_BLANK)]
Description = Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX, pattern=NO_NUL)]
# A tag as a client may write it: the domain lower-cases it to ``[a-z0-9-]{1,50}``.
TAG_NAME_PATTERN = rf"^[A-Za-z0-9-]{{1,{TAG_MAX}}}$"
TagName = Annotated[str, StringConstraints(pattern=TAG_NAME_PATTERN)]
# At most 20 per item (so at most 20 distinct ones once the domain has lower-cased them).
TagList = Annotated[list[TagName], Field(max_length=TAGS_PER_ITEM)]


class ItemIn(InputModel):
    title: Title
    description: Description | None = None
    price: MoneyIn
    is_active: bool = True
    tags: TagList = Field(default_factory=list)


class ItemPutIn(InputModel):
    """Full replacement: every writable field is required (``description`` may be null)."""

    title: Title
    description: Description | None
    price: MoneyIn
    is_active: bool
    tags: TagList


class ItemPatchIn(InputModel):
    """Omitted fields stay as they are; ``tags`` replaces the whole set when given."""

    # May be omitted, not null: ``SkipJsonSchema[None]`` and ``omitted()`` keep null out of OpenAPI.
    title: Title | SkipJsonSchema[None] = omitted()
    description: Description | None = None
    price: MoneyIn | SkipJsonSchema[None] = omitted()
    is_active: bool | SkipJsonSchema[None] = omitted()
    tags: TagList | SkipJsonSchema[None] = omitted()

    @field_validator("title", "price", "is_active", "tags", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class TransferIn(InputModel):
    new_owner_id: Id


class BatchIn(InputModel):
    """Raw objects: each one is validated on its own, so one bad element fails only itself."""

    items: Annotated[list[Any], Field(max_length=MAX_BATCH)]


class OwnerOut(OutputModel):
    id: int
    username: str


class ItemOut(OutputModel):
    id: int
    title: str
    description: str | None
    price: MoneyOut
    is_active: bool
    owner: OwnerOut
    tags: list[str]
    created_at: Timestamp
    updated_at: Timestamp


def item_document(view: ItemView) -> dict[str, Any]:
    """``ItemOut`` of ``view`` as JSON-ready values, without building the model: an item and a
    page of 50 answer with these (orjson renders them), ~200 us less per page than validating
    and serialising 50 models (docs/adr/0020-native-read-path.md). Field for field what
    ``ItemOut`` serialises; ``tests/unit/test_documents.py`` holds the two equal."""
    return {
        "id": view.id,
        "title": view.title,
        "description": view.description,
        "price": f"{view.price:.2f}",
        "is_active": view.is_active,
        "owner": {"id": view.owner.id, "username": view.owner.username},
        "tags": view.tags,
        "created_at": view.created_at.isoformat(),
        "updated_at": view.updated_at.isoformat(),
    }


class BatchCreatedOut(OutputModel):
    index: int
    status: Literal["created"] = "created"
    id: int


class BatchFailedOut(OutputModel):
    index: int
    status: Literal["failed"] = "failed"
    error: ProblemOut


class BatchOut(OutputModel):
    created: int
    failed: int
    results: list[BatchCreatedOut | BatchFailedOut]

    @classmethod
    def of(cls, batch: BatchView, instance: str) -> BatchOut:
        """Each failed element carries the problem object its error would have answered alone,
        its validation errors pointing into the request (``body.items.<index>``)."""
        results: list[BatchCreatedOut | BatchFailedOut] = []
        for r in batch.results:
            if r.error is not None:
                error = problem_body(r.error, instance, ("body", "items", r.index))
                results.append(BatchFailedOut.model_validate({"index": r.index, "error": error}))
            else:
                assert r.id is not None
                results.append(BatchCreatedOut(index=r.index, id=r.id))
        return cls(created=batch.created, failed=batch.failed, results=results)


class TagOut(OutputModel):
    name: str
    item_count: int


class ItemStatsOut(OutputModel):
    total_items: int
    active_items: int
    avg_price: MoneyOut | None
    min_price: MoneyOut | None
    max_price: MoneyOut | None
    top_tags: list[TagOut]
