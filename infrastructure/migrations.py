"""Alembic driven from code: upgrade for ``bazaar migrate`` and the tests, and the revision check
behind ``/health/ready``.

Alembic is imported inside the functions: it costs ~0.5-1 s of start-up, and a serving process
only needs it on its first readiness check (``bazaar serve`` must answer within 2 s of start).
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

ROOT = Path(__file__).resolve().parent.parent


class PartialMigration(RuntimeError):
    """A revision failed on an engine whose DDL commits itself (MariaDB/MySQL): what it had
    already done stays done. Says where the schema is, so nobody mistakes it for a clean
    failure."""

    def __init__(self, revision: str | None, committed: list[str], cause: BaseException) -> None:
        self.revision = revision
        self.committed = committed
        done = "; ".join(committed) if committed else "nothing"
        super().__init__(
            f"migration failed after revision {revision or 'base'} (alembic_version says so); "
            f"MariaDB/MySQL DDL is not transactional, and the failed revision had already "
            f"committed: {done}. Undo those statements by hand (or finish them), then migrate "
            f"again. Cause: {type(cause).__name__}: {cause}"
        )


def alembic_config(database_url: str | None = None) -> Config:
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if database_url is not None:
        config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Blocking (Alembic's env runs its own event loop): call it from a thread when async."""
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, database_url, revision)


@lru_cache(maxsize=1)
def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


class DatabaseHealth:
    """Readiness: the database answers and its schema is at the latest revision."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def problem(self) -> str | None:
        """None when ready, else the reason it is not."""
        try:
            async with self._engine.connect() as conn:
                current = await conn.scalar(text("SELECT version_num FROM alembic_version"))
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready", with its reason
            detail = getattr(exc, "orig", None) or exc
            first_line = (str(detail).splitlines() or [""])[0][:200]
            return f"database not reachable or not migrated: {type(exc).__name__}: {first_line}"
        if current != head_revision():
            return f"database schema at revision {current}, expected {head_revision()}"
        return None
