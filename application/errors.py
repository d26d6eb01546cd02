"""Errors of the application layer that are not broken domain rules.

A domain error says "what you asked for cannot be done"; these say "it could not be done *now*"
(the database lost a race or cannot be reached) or "the store refused a value". They are kept
out of the ``DomainError`` hierarchy on purpose: code that handles domain errors (a batch that
reports each failed element) must never swallow them by accident.
"""

from __future__ import annotations


class ApplicationError(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class TransientConflict(ApplicationError):
    """The transaction lost a race the database resolved by aborting it (deadlock, serialization
    failure, lock wait timeout, a busy SQLite file). The unit of work raises it; the transaction
    helper runs the whole use case again; if every attempt loses, the caller gets a 409
    ``conflict`` and may retry (docs/adr/0007-transient-conflicts.md)."""

    def __init__(self, detail: str = "A concurrent change got in the way; please retry") -> None:
        super().__init__(detail)


class DatabaseUnavailable(ApplicationError):
    """The database cannot be reached right now (refused, reset, timed out, shutting down, pool
    exhausted, too many connections): worth a 503 and a retry, never a 500."""

    def __init__(self, detail: str = "The service cannot reach its database; try again shortly") -> None:
        super().__init__(detail)


class UnstorableValue(ApplicationError):
    """The database refused a value as data (a character its text type cannot hold, out of
    range): a gap in the edge validation, answered as a 422 rather than a 500."""

    def __init__(
        self, detail: str = "A value in the request cannot be stored (an invalid character, or too long)"
    ) -> None:
        super().__init__(detail)
