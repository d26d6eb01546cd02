"""case-insensitive uniqueness through stored lower(...) columns on every engine

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00

``users.username_lower`` and ``items.title_lower`` are generated columns (``lower(...)``, written
by the database), and the unique indexes ``uq_users_username_lower`` (username_lower) and
``uq_items_owner_id_title_lower`` (owner_id, title_lower) are on them instead of on expressions:
MariaDB has no expression indexes, and one design on every engine keeps the behaviour identical.
The generated column is STORED on PostgreSQL (the only kind before 18) and MariaDB, VIRTUAL on
SQLite (``ALTER TABLE ADD COLUMN`` cannot add a stored one; the index stores the values anyway).

Before any DDL the revision checks that no two rows collide case-insensitively (possible only on
MariaDB, where revisions 0001-0003 had no such index): MariaDB's DDL is not transactional, and a
unique index failing half-way would leave the new columns behind.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table → (generated column, its source, its length, the unique index, the index's columns)
COLUMNS = {
    'users': ('username_lower', 'username', 50, 'uq_users_username_lower', ['username_lower']),
    'items': ('title_lower', 'title', 200, 'uq_items_owner_id_title_lower', ['owner_id', 'title_lower']),
}


def _dialect() -> str:
    return op.get_bind().dialect.name


def _refuse_collisions() -> None:
    bind = op.get_bind()
    for table, (_, source, _, _, index_columns) in COLUMNS.items():
        keys = [c for c in index_columns if not c.endswith('_lower')] + [f'lower({source})']
        duplicate = bind.execute(
            sa.text(f'SELECT {", ".join(keys)} FROM {table} GROUP BY {", ".join(keys)} HAVING count(*) > 1')
        ).first()
        if duplicate is not None:
            raise RuntimeError(
                f'revision 0004: {table} has rows equal but for case ({tuple(duplicate)}); '
                'rename them, then migrate again (nothing was changed)'
            )


def upgrade() -> None:
    _refuse_collisions()
    dialect = _dialect()
    for table, (column, source, length, index, index_columns) in COLUMNS.items():
        computed = sa.Computed(f'lower({source})', persisted=dialect != 'sqlite')
        # Plain ALTER TABLE ADD COLUMN on every engine (no batch table copy on SQLite).
        op.add_column(table, sa.Column(column, sa.String(length=length), computed, nullable=True))
        if dialect not in ('mysql', 'mariadb'):
            op.drop_index(index, table_name=table)  # the expression index of 0001/0002
        op.create_index(index, table, index_columns, unique=True)


def downgrade() -> None:
    dialect = _dialect()
    for table, (column, source, _, index, index_columns) in COLUMNS.items():
        op.drop_index(index, table_name=table)
        op.drop_column(table, column)
        if dialect not in ('mysql', 'mariadb'):
            expression = [c for c in index_columns if c != column] + [sa.literal_column(f'lower({source})')]
            op.create_index(index, table, expression, unique=True)
