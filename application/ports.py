"""Ports every context shares: the unit-of-work base, time, password hashing and tokens.

Each context declares its own repositories, query services and a narrow unit of work (the
repositories its use cases use) in ``application/<context>/ports.py``; the SQL adapters in
``infrastructure`` and the fakes in ``tests/fakes`` implement them, and mypy checks that they do
(``infrastructure/persistence/conformance.py``, ``tests/fakes/conformance.py``).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self


class UnitOfWork(Protocol):
    """One database transaction. Leaving the block without ``commit()`` rolls back.

    The adapter translates what the database reports into application and domain errors in
    this one place: unique and foreign-key violations (``AlreadyExists``, ``Conflict``), lost
    races (``TransientConflict``), outages (``DatabaseUnavailable``), refused values
    (``UnstorableValue``), whether they surface in a repository call, a savepoint or the commit.
    Use cases do not open it themselves: ``application.transactions.Transactions`` does.
    """

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...
    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """A nested transaction: an exception inside undoes only what the block did."""
        ...


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...
    async def verify(self, password: str, password_hash: str | None) -> tuple[bool, str | None]:
        """Returns (valid, new_hash). With ``password_hash=None`` it still spends the time of a
        real check and answers False, so unknown users cannot be told apart by timing. A
        ``new_hash`` is set when the stored hash used outdated parameters."""
        ...


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a valid token says: whose it is, and the user's token version when it was issued."""

    user_id: int
    version: int


class TokenService(Protocol):
    @property
    def expires_in(self) -> int: ...
    def issue(self, user_id: int, version: int) -> str: ...
    def claims(self, token: str) -> TokenClaims:
        """Raises ``Unauthorized`` if the token is invalid or expired."""
        ...


class Clock(Protocol):
    def now(self) -> datetime: ...
