"""Small things every context's use cases share: who is acting, and the 'not given' marker."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from domain.errors import Forbidden


class Unset(enum.Enum):
    """Marks a PATCH field the caller did not send (``None`` is a real value: 'clear it')."""

    UNSET = "UNSET"


UNSET = Unset.UNSET


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated caller, as far as authorisation needs to know."""

    user_id: int
    is_superuser: bool = False

    def require_superuser(self) -> None:
        if not self.is_superuser:
            raise Forbidden("Superuser privileges required")

    def require_owner_or_superuser(self, owner_id: int) -> None:
        if not (self.is_superuser or self.user_id == owner_id):
            raise Forbidden("Only the owner or a superuser may do this")
