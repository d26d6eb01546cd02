"""Blog: posts written by users.

Title and content are text a user wrote: 1-200 and 1-50000 characters, never only blanks, no
NUL (every way in goes through these rules: HTTP, the CLI seed's shape, tests). The author is
the user who created the post and never changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.entity import UNSET, Entity, Unset
from domain.errors import InvalidInput
from domain.text import check_text

TITLE_MAX = 200
CONTENT_MAX = 50_000


def _check(value: str, field_name: str, maximum: int) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= maximum or not value.strip():
        raise InvalidInput(f"{field_name} must be 1-{maximum} characters, not only blanks", field_name)
    return check_text(value, field_name)


def check_title(title: str) -> str:
    return _check(title, "title", TITLE_MAX)


def check_content(content: str) -> str:
    return _check(content, "content", CONTENT_MAX)


@dataclass(slots=True)
class Post(Entity):
    """A post. ``id`` is ``None`` until the repository has stored it."""

    title: str
    content: str
    author_id: int
    id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def new(cls, *, title: str, content: str, author_id: int, now: datetime) -> Post:
        return cls(
            title=check_title(title),
            content=check_content(content),
            author_id=author_id,
            created_at=now,
            updated_at=now,
        )

    def revise(self, now: datetime, *, title: str | Unset = UNSET, content: str | Unset = UNSET) -> bool:
        """Edit title and content with the rules of a new post. True when something changed."""
        values: dict[str, object] = {}
        if not isinstance(title, Unset):
            values["title"] = check_title(title)
        if not isinstance(content, Unset):
            values["content"] = check_content(content)
        return self._record(now, values)
