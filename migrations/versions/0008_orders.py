"""ordering: orders, order_lines; ledger entries name their order

Revision ID: 0008_orders
Revises: 0007_teams
Create Date: 2026-12-02 03:03:00.490472

Money columns are numeric(12,2) (integer cents on SQLite, through the Money type); CHECK
constraints back the domain's rules (known statuses, quantities 1-1000, no negative amounts).
Every foreign key into another context is RESTRICT (an item on an order line, a buyer, a seller,
the paying account, an order with ledger entries); each foreign key column leads an index, as
MariaDB needs one. ``ledger_entries.order_id`` (there since revision 0005) gains its index and
its foreign key.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql


revision: str = '0008_orders'
down_revision: str | None = '0007_teams'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# MariaDB/MySQL (ignored elsewhere): InnoDB, utf8mb4 with a binary no-pad collation, DATETIME(6).
MYSQL = {f'{p}_{k}': v for p in ('mysql', 'mariadb') for k, v in (('engine', 'InnoDB'), ('charset', 'utf8mb4'), ('collate', 'utf8mb4_nopad_bin'))}
UtcDateTime = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb')
Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('orders',
    sa.Column('id', Id, nullable=False),
    sa.Column('buyer_id', Id, nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('paid_from_account_id', Id, nullable=True),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('updated_at', UtcDateTime, nullable=False),
    sa.CheckConstraint("status IN ('pending', 'processing', 'shipped', 'delivered', 'cancelled')", name=op.f('ck_orders_status')),
    sa.CheckConstraint('total >= 0', name=op.f('ck_orders_total_non_negative')),
    sa.ForeignKeyConstraint(['buyer_id'], ['users.id'], name=op.f('fk_orders_buyer_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['paid_from_account_id'], ['accounts.id'], name=op.f('fk_orders_paid_from_account_id_accounts'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    **MYSQL,
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_buyer_id_created_at', ['buyer_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_orders_created_at', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_paid_from_account_id'), ['paid_from_account_id'], unique=False)

    op.create_table('order_lines',
    sa.Column('id', Id, nullable=False),
    sa.Column('order_id', Id, nullable=False),
    sa.Column('item_id', Id, nullable=False),
    sa.Column('seller_id', Id, nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('line_total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.CheckConstraint('line_total >= 0', name=op.f('ck_order_lines_line_total_non_negative')),
    sa.CheckConstraint('quantity BETWEEN 1 AND 1000', name=op.f('ck_order_lines_quantity')),
    sa.CheckConstraint('unit_price >= 0', name=op.f('ck_order_lines_unit_price_non_negative')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_order_lines_item_id_items'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_lines_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['seller_id'], ['users.id'], name=op.f('fk_order_lines_seller_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_lines')),
    **MYSQL,
    )
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_lines_item_id'), ['item_id'], unique=False)
        batch_op.create_index('ix_order_lines_order_id_id', ['order_id', 'id'], unique=False)
        batch_op.create_index('ix_order_lines_seller_id_order_id', ['seller_id', 'order_id'], unique=False)

    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entries_order_id'), ['order_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_ledger_entries_order_id_orders'), 'orders', ['order_id'], ['id'], ondelete='RESTRICT')


def downgrade() -> None:
    # The foreign key first (MariaDB refuses to drop an index a foreign key needs); dropping a
    # table drops its indexes.
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ledger_entries_order_id_orders'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_ledger_entries_order_id'))
    op.drop_table('order_lines')
    op.drop_table('orders')
