"""blog: posts

Revision ID: 0006_blog
Revises: 0005
Create Date: 2026-12-03 10:00:00

A post's author is a user (ON DELETE CASCADE: hard-deleting a user deletes their posts). Content
is MEDIUMTEXT on MariaDB/MySQL (50,000 utf8mb4 characters exceed TEXT's 65,535 bytes). The
trigram index on ``posts.title`` exists on PostgreSQL only (pg_trgm comes from revision 0002).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql


revision: str = '0006_blog'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# MariaDB/MySQL (ignored elsewhere): InnoDB, utf8mb4 with a binary no-pad collation, DATETIME(6).
MYSQL = {f'{p}_{k}': v for p in ('mysql', 'mariadb') for k, v in (('engine', 'InnoDB'), ('charset', 'utf8mb4'), ('collate', 'utf8mb4_nopad_bin'))}
UtcDateTime = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb')
Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
Content = sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql', 'mariadb')


def upgrade() -> None:
    op.create_table('posts',
    sa.Column('id', Id, nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('content', Content, nullable=False),
    sa.Column('author_id', Id, nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('updated_at', UtcDateTime, nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_posts_author_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_posts')),
    **MYSQL,
    )
    op.create_index('ix_posts_author_id_created_at', 'posts', ['author_id', 'created_at', 'id'])
    op.create_index('ix_posts_created_at', 'posts', ['created_at', 'id'])
    op.create_index('ix_posts_title', 'posts', ['title', 'id'])
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index('ix_posts_title_trgm', 'posts', ['title'], postgresql_using='gin', postgresql_ops={'title': 'gin_trgm_ops'})


def downgrade() -> None:
    # Dropping a table drops its indexes (MariaDB refuses to drop an index a foreign key needs).
    op.drop_table('posts')
