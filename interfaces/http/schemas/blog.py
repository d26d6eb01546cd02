"""Request and response schemas of the blog context: what the schema can say of the domain's
rules (``domain.blog``): title 1-200 and content 1-50000 characters, not only blanks, no NUL."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints, field_validator
from pydantic.json_schema import SkipJsonSchema

from domain.blog import CONTENT_MAX, TITLE_MAX
from interfaces.http.schemas.common import NOT_BLANK, InputModel, OutputModel, Timestamp, omitted

Title = Annotated[str, StringConstraints(min_length=1, max_length=TITLE_MAX, pattern=NOT_BLANK)]
Content = Annotated[str, StringConstraints(min_length=1, max_length=CONTENT_MAX, pattern=NOT_BLANK)]


class PostIn(InputModel):
    title: Title
    content: Content


class PostPatchIn(InputModel):
    """Omitted fields stay as they are; neither may be null."""

    title: Title | SkipJsonSchema[None] = omitted()
    content: Content | SkipJsonSchema[None] = omitted()

    @field_validator("title", "content", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class AuthorOut(OutputModel):
    id: int
    username: str


class PostOut(OutputModel):
    id: int
    title: str
    content: str
    author: AuthorOut
    created_at: Timestamp
    updated_at: Timestamp


class AuthorStatsOut(OutputModel):
    user_id: int
    username: str
    post_count: int
