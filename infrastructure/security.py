"""Security adapters: Argon2id password hashing (pwdlib, off the event loop), HS256 JWTs
(PyJWT), and the system clock."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from application.ports import TokenClaims
from domain.errors import Unauthorized

T = TypeVar("T")


class Argon2PasswordHasher:
    """Argon2id with pwdlib's defaults unless told otherwise (64 MiB, 3 passes, 4 lanes: above
    OWASP's minimum of 19 MiB and 2 passes). Hashing takes tens of milliseconds of CPU and its
    memory by design, so it runs off the event loop, in a pool of ``concurrency`` threads (the
    number of CPUs by default): a login storm queues for the pool instead of running 32 hashes
    at once, so memory stays bounded (at most ``concurrency`` x ``memory_cost``) and latency
    grows with the queue, predictably."""

    def __init__(
        self,
        time_cost: int = 3,
        memory_cost: int = 65536,
        parallelism: int = 4,
        concurrency: int | None = None,
    ) -> None:
        self._hash = PasswordHash(
            (Argon2Hasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism),)
        )
        self.concurrency = concurrency or os.cpu_count() or 1
        self._pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="argon2")
        # A real hash of a random password: verifying against it costs what a real check costs.
        self._dummy = self._hash.hash("dummy password for unknown users")

    async def _run(self, work: Callable[..., T], *args: str) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, work, *args)

    async def hash(self, password: str) -> str:
        return await self._run(self._hash.hash, password)

    async def verify(self, password: str, password_hash: str | None) -> tuple[bool, str | None]:
        if password_hash is None:
            await self._run(self._hash.verify, password, self._dummy)
            return False, None
        return await self._run(self._hash.verify_and_update, password, password_hash)


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
