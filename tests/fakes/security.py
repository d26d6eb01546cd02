"""Fakes of the shared ports: password hashing, tokens and the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from application.ports import TokenClaims
from domain.errors import Unauthorized


class FakeHasher:
    """Hashes are ``v<version>$<password>``; bumping ``version`` makes old hashes outdated."""

    def __init__(self) -> None:
        self.version = 1
        self.unknown_user_checks = 0

    async def hash(self, password: str) -> str:
        return f"v{self.version}${password}"

    async def verify(self, password: str, password_hash: str | None) -> tuple[bool, str | None]:
        if password_hash is None:
            self.unknown_user_checks += 1
            return False, None
        version, _, stored = password_hash.partition("$")
        if stored != password:
            return False, None
        return True, (await self.hash(password) if version != f"v{self.version}" else None)


class FakeTokens:
    expires_in = 3600

    def issue(self, user_id: int, version: int = 0) -> str:
        return f"token-for-{user_id}-v{version}"

    def claims(self, token: str) -> TokenClaims:
        prefix, _, rest = token.partition("token-for-")
        user, _, version = rest.partition("-v")
        if prefix or not user.isdigit() or not version.isdigit():
            raise Unauthorized("Could not validate credentials")
        return TokenClaims(int(user), int(version))


class FakeClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        self.current += timedelta(microseconds=1)  # strictly increasing, like real timestamps
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)

    async def sleep(self, seconds: float) -> None:
        """The transaction helper's pause between attempts: recorded, and no real time passes."""
        self.sleeps.append(seconds)
        self.advance(seconds=seconds)
