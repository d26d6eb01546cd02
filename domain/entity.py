"""What every entity shares: the 'not given' marker of partial edits, and the one rule for
recording a change (set the fields that really differ, bump ``updated_at`` only then)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any


class Unset(enum.Enum):
    """Marks a field the caller did not send (``None`` is a real value: 'clear it')."""

    UNSET = "UNSET"


UNSET = Unset.UNSET


def given(**values: Any) -> dict[str, Any]:
    """The keyword arguments that were actually given (not ``UNSET``)."""
    return {name: value for name, value in values.items() if value is not UNSET}


class Entity:
    """Mixin for dataclass entities with an ``updated_at`` timestamp."""

    __slots__ = ()  # each entity is a slots dataclass with its own ``updated_at``

    def _record(self, now: datetime, values: dict[str, Any]) -> bool:
        """Set every value that differs from the current one; bump ``updated_at`` only when
        something really changed, so an idempotent edit leaves the ETag alone."""
        changed = False
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)
                changed = True
        if changed:
            setattr(self, "updated_at", now)  # noqa: B010 - declared by the subclass
        return changed
