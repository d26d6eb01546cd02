"""Blog tables: posts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from domain.blog import TITLE_MAX
from infrastructure.persistence.models.types import MYSQL_TABLE_OPTIONS, Base, Id, UtcDateTime

# 50,000 characters of utf8mb4 are up to 200,000 bytes: more than MariaDB's TEXT (65,535 bytes)
# holds, so MEDIUMTEXT there; text on PostgreSQL and SQLite.
PostContent = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


class PostRow(Base):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    content: Mapped[str] = mapped_column(PostContent)
    # CASCADE: hard-deleting a user deletes their posts (API.md).
    author_id: Mapped[int] = mapped_column(Id, ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        # An author's posts in either order, the EXISTS of ``GET /users?posted_since=``, the
        # per-author counts of ``/stats/authors``.
        Index("ix_posts_author_id_created_at", author_id, created_at, id),
        Index("ix_posts_created_at", created_at, id),  # the default listing and ``since``
        Index("ix_posts_title", title, id),
        # PostgreSQL only (pg_trgm, created by revision 0002): substring search on title.
        Index(
            "ix_posts_title_trgm",
            title,
            postgresql_using="gin",
            postgresql_ops={"title": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        MYSQL_TABLE_OPTIONS,
    )


DIALECT_INDEXES: dict[str, tuple[str, ...]] = {"ix_posts_title_trgm": ("postgresql",)}
POSTGRESQL_ONLY_INDEXES = frozenset({"ix_posts_title_trgm"})

UNIQUE_CONSTRAINTS: dict[str, tuple[str, str]] = {}
FOREIGN_KEYS: dict[str, str] = {"fk_posts_author_id_users": "their posts"}
ENTITIES: dict[str, str] = {"posts": "Post"}
