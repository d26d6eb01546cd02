"""Small things every context's use cases share: who is acting, and the 'not given' marker."""

from __future__ import annotations

from dataclasses import dataclass

from domain.entity import UNSET, Unset
from domain.errors import Forbidden

__all__ = ["UNSET", "Actor", "Unset"]


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
