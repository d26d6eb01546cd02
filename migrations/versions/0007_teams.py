"""teams: teams, heroes, team_members

Revision ID: 0007_teams
Revises: 0006_blog
Create Date: 2026-12-02 03:03:19.163559

Team and hero names are unique case-insensitively through stored generated ``name_lower``
columns with plain unique indexes (the design of revision 0004, on every engine); a hero's age
is 0-10000 or NULL (a CHECK constraint backs the domain's rule); a membership is a link row
(``is_training``) that goes with its team or its hero (ON DELETE CASCADE on both sides).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007_teams'
down_revision: str | None = '0006_blog'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# MariaDB/MySQL (ignored elsewhere): InnoDB, utf8mb4 with a binary no-pad collation.
MYSQL = {f'{p}_{k}': v for p in ('mysql', 'mariadb') for k, v in (('engine', 'InnoDB'), ('charset', 'utf8mb4'), ('collate', 'utf8mb4_nopad_bin'))}
Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('heroes',
    sa.Column('id', Id, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_lower', sa.String(length=100), sa.Computed('lower(name)', persisted=True), nullable=True),
    sa.Column('secret_name', sa.String(length=100), nullable=False),
    sa.Column('age', sa.Integer(), nullable=True),
    sa.CheckConstraint('age >= 0 AND age <= 10000', name=op.f('ck_heroes_age_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_heroes')),
    **MYSQL,
    )
    with op.batch_alter_table('heroes', schema=None) as batch_op:
        batch_op.create_index('ix_heroes_age', ['age', 'id'], unique=False)
        batch_op.create_index('ix_heroes_name', ['name', 'id'], unique=False)
        batch_op.create_index('uq_heroes_name_lower', ['name_lower'], unique=True)

    op.create_table('teams',
    sa.Column('id', Id, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_lower', sa.String(length=100), sa.Computed('lower(name)', persisted=True), nullable=True),
    sa.Column('headquarters', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    **MYSQL,
    )
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.create_index('ix_teams_name', ['name', 'id'], unique=False)
        batch_op.create_index('uq_teams_name_lower', ['name_lower'], unique=True)

    op.create_table('team_members',
    sa.Column('team_id', Id, nullable=False),
    sa.Column('hero_id', Id, nullable=False),
    sa.Column('is_training', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['hero_id'], ['heroes.id'], name=op.f('fk_team_members_hero_id_heroes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_members_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'hero_id', name=op.f('pk_team_members')),
    **MYSQL,
    )
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.create_index('ix_team_members_hero_id_team_id', ['hero_id', 'team_id'], unique=False)


def downgrade() -> None:
    # Dropping a table drops its indexes (MariaDB refuses to drop an index a foreign key needs).
    op.drop_table('team_members')
    op.drop_table('teams')
    op.drop_table('heroes')
