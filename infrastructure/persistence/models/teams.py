"""Teams tables: teams, heroes, and the membership link between them."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.teams import AGE_MAX, AGE_MIN, HEADQUARTERS_MAX, HERO_NAME_MAX, SECRET_NAME_MAX, TEAM_NAME_MAX
from infrastructure.persistence.models.types import MYSQL_TABLE_OPTIONS, Base, Id


class TeamRow(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(TEAM_NAME_MAX))
    # Stored generated column on every engine (as users.username_lower): one name, any case.
    name_lower: Mapped[str] = mapped_column(
        String(TEAM_NAME_MAX), Computed("lower(name)", persisted=True), nullable=True
    )
    headquarters: Mapped[str | None] = mapped_column(String(HEADQUARTERS_MAX))

    __table_args__ = (
        Index("uq_teams_name_lower", name_lower, unique=True),
        Index("ix_teams_name", name, id),  # sort=name and its cursor
        MYSQL_TABLE_OPTIONS,
    )


class HeroRow(Base):
    __tablename__ = "heroes"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(HERO_NAME_MAX))
    name_lower: Mapped[str] = mapped_column(
        String(HERO_NAME_MAX), Computed("lower(name)", persisted=True), nullable=True
    )
    secret_name: Mapped[str] = mapped_column(String(SECRET_NAME_MAX))
    age: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("uq_heroes_name_lower", name_lower, unique=True),
        Index("ix_heroes_name", name, id),
        Index("ix_heroes_age", age, id),  # min_age / max_age
        CheckConstraint(f"age >= {AGE_MIN} AND age <= {AGE_MAX}", name="age_range"),
        MYSQL_TABLE_OPTIONS,
    )


# A hero in a team. Deleting either side deletes the link (the other side stays).
team_members = Table(
    "team_members",
    Base.metadata,
    Column("team_id", Id, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("hero_id", Id, ForeignKey("heroes.id", ondelete="CASCADE"), primary_key=True),
    Column("is_training", Boolean, nullable=False, default=False, server_default=false()),
    # (team_id, hero_id) is the primary key (a team's members); this one serves a hero's teams.
    Index("ix_team_members_hero_id_team_id", "hero_id", "team_id"),
    **MYSQL_TABLE_OPTIONS,
)


# Keys are matched exactly against the constraint the driver names (errors.unique_key):
# PostgreSQL and MariaDB name the index, SQLite names table.column.
UNIQUE_CONSTRAINTS: dict[str, tuple[str, str]] = {
    "uq_teams_name_lower": ("Team", "name"),
    "teams.name_lower": ("Team", "name"),
    "uq_heroes_name_lower": ("Hero", "name"),
    "heroes.name_lower": ("Hero", "name"),
}
FOREIGN_KEYS: dict[str, str] = {
    "fk_team_members_team_id_teams": "its members",
    "fk_team_members_hero_id_heroes": "its teams",
}
ENTITIES: dict[str, str] = {"teams": "Team", "heroes": "Hero", "team_members": "Team membership"}
