"""Security adapters: Argon2id password hashing (pwdlib, off the event loop), HS256 JWTs
(PyJWT), and the system clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from application.ports import TokenClaims
from domain.errors import Unauthorized


class Argon2PasswordHasher:
    """Argon2id with pwdlib's defaults unless told otherwise. Hashing takes tens of
    milliseconds of CPU by design, so it runs in a worker thread, never on the event loop."""

    def __init__(self, time_cost: int = 3, memory_cost: int = 65536, parallelism: int = 4) -> None:
        self._hash = PasswordHash(
            (Argon2Hasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism),)
        )
        # A real hash of a random password: verifying against it costs what a real check costs.
        self._dummy = self._hash.hash("dummy password for unknown users")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hash.hash, password)

    async def verify(self, password: str, password_hash: str | None) -> tuple[bool, str | None]:
        if password_hash is None:
            await asyncio.to_thread(self._hash.verify, password, self._dummy)
            return False, None
        return await asyncio.to_thread(self._hash.verify_and_update, password, password_hash)


class JwtTokenService:
    ALGORITHM = "HS256"

    def __init__(self, secret_key: str, expire_minutes: int) -> None:
        self._secret = secret_key
        self._lifetime = timedelta(minutes=expire_minutes)

    @property
    def expires_in(self) -> int:
        return int(self._lifetime.total_seconds())

    def issue(self, user_id: int, version: int) -> str:
        now = datetime.now(UTC)
        claims = {"sub": str(user_id), "ver": version, "iat": now, "exp": now + self._lifetime}
        return jwt.encode(claims, self._secret, algorithm=self.ALGORITHM)

    def claims(self, token: str) -> TokenClaims:
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=[self.ALGORITHM], options={"require": ["exp", "sub"]}
            )
            user_id, version = int(claims["sub"]), claims.get("ver", 0)
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise Unauthorized("Could not validate credentials") from exc
        if user_id <= 0 or not isinstance(version, int) or isinstance(version, bool):
            raise Unauthorized("Could not validate credentials")
        return TokenClaims(user_id, version)


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)
