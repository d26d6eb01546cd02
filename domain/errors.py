"""The one hierarchy of domain errors.

The HTTP layer maps each class to a problem type in a single table, so a use case only has to
raise the error that names what went wrong; it never thinks about status codes.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class: something the caller asked for cannot be done as asked."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    """Unknown id, or a resource the caller may not see (never reveals existence)."""


class AlreadyExists(DomainError):
    """A value that must be unique is taken."""

    def __init__(self, entity: str, field: str) -> None:
        super().__init__(f"{entity} with this {field} already exists")
        self.entity = entity
        self.field = field


class Unauthorized(DomainError):
    """Missing, invalid or expired credentials."""


class Forbidden(DomainError):
    """Authenticated, but not allowed to do this."""


class Conflict(DomainError):
    """The current state forbids the action."""


class InsufficientFunds(Conflict):
    """A withdrawal larger than the balance: nothing changes."""


class InvalidTransition(Conflict):
    """A status change the current state (or the caller's role) does not allow; ``allowed``
    names the statuses this caller could move the resource to now (the problem body lists them)."""

    def __init__(self, detail: str, allowed: list[str]) -> None:
        super().__init__(detail)
        self.allowed = allowed

    @property
    def problem_extra(self) -> dict[str, list[str]]:
        return {"allowed": list(self.allowed)}


class IdempotencyKeyReused(DomainError):
    """The same ``Idempotency-Key`` came with a different request."""


class IdempotencyKeyInUse(Conflict):
    """The first request with this ``Idempotency-Key`` is still being processed."""


class PreconditionFailed(DomainError):
    """The caller's view of the resource is stale (If-Match did not match)."""


class InvalidInput(DomainError):
    """Well-formed input that breaks a rule (an unknown referenced id, a bad combination)."""

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field


class BadRequest(DomainError):
    """A request that cannot be understood as sent (a tampered cursor, cursor with offset)."""


class RateLimited(DomainError):
    """Too many attempts; the caller may retry after ``retry_after`` seconds."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
