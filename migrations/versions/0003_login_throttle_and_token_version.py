"""identity hardening: login_throttles replaces login_attempts; users.token_version

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 23:50:00

The throttle counts attempts per key in fixed windows (one row per key, updated atomically),
instead of one row per failure; old failures are not carried over (a window lasts 15 minutes).
``token_version`` is part of every token: bumping it revokes the tokens issued before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# MariaDB/MySQL (ignored elsewhere): InnoDB, utf8mb4 with a binary no-pad collation (text compares
# as on PostgreSQL's C collation), DATETIME(6) for UTC with microseconds. Added when MariaDB
# became an engine; on PostgreSQL and SQLite these revisions emit what they always did.
MYSQL = {f'{p}_{k}': v for p in ('mysql', 'mariadb') for k, v in (('engine', 'InnoDB'), ('charset', 'utf8mb4'), ('collate', 'utf8mb4_nopad_bin'))}
UtcDateTime = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb')


def _is_mysql() -> bool:
    return op.get_bind().dialect.name in ('mysql', 'mariadb')

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('login_throttles',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('window_started_at', UtcDateTime, nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttles')),
    **MYSQL,
    )
    with op.batch_alter_table('login_throttles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_throttles_window_started_at'), ['window_started_at'], unique=False)

    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempts_login_key_attempted_at')
    op.drop_table('login_attempts')

    # A plain ALTER TABLE ADD COLUMN on every engine: batch mode would copy the users table on
    # SQLite, and SQLite cannot reflect the copy's expression index (lower(username)), so the
    # case-insensitive unique username would silently vanish.
    op.add_column('users', sa.Column('token_version', sa.Integer(), server_default=sa.text('0'), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('token_version')
    if op.get_bind().dialect.name == 'sqlite':  # the table copy lost its expression index
        op.execute('CREATE UNIQUE INDEX IF NOT EXISTS uq_users_username_lower ON users (lower(username))')

    op.create_table('login_attempts',
    sa.Column('id', Id, nullable=False),
    sa.Column('login_key', sa.String(length=255), nullable=False),
    sa.Column('attempted_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts')),
    **MYSQL,
    )
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempts_login_key_attempted_at', ['login_key', 'attempted_at'], unique=False)

    with op.batch_alter_table('login_throttles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_throttles_window_started_at'))
    op.drop_table('login_throttles')
