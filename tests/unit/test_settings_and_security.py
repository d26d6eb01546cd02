"""Settings rules and the real security adapters (Argon2id, JWT)."""

from __future__ import annotations

import secrets

import pytest
from pydantic import ValidationError

from domain.errors import Unauthorized
from infrastructure.security import Argon2PasswordHasher, JwtTokenService
from infrastructure.settings import DEFAULT_SECRET, MIN_SECRET_BITS, Settings, secret_strength_bits


@pytest.mark.parametrize(
    "secret",
    [
        "",
        DEFAULT_SECRET,
        "secret",
        "SECRET",
        "a-real-secret",
        "secret" * 10,
        "a" * 100,
        "0123456789" * 5,
        "abcdefghijklmnopqrstuvwxyz012345",
        secrets.token_hex(16),
        secrets.token_urlsafe(24),
    ],
)
def test_production_refuses_a_weak_or_placeholder_secret(secret: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(environment="production", secret_key=secret)
    assert "SECRET_KEY" in str(refused.value)


@pytest.mark.parametrize(
    "secret", [secrets.token_hex(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)]
)
def test_production_accepts_a_random_key_of_32_bytes(secret: str) -> None:
    assert Settings(environment="production", secret_key=secret).environment == "production"
    assert secret_strength_bits(secret) >= MIN_SECRET_BITS


def test_development_keeps_the_default_secret() -> None:
    assert Settings(environment="development").secret_key == DEFAULT_SECRET


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u@h/db")
    monkeypatch.setenv("DB_POOL_SIZE", "3")
    monkeypatch.setenv("CORS_ORIGINS", '["https://a.example"]')
    settings = Settings()
    assert settings.database_url == "postgresql+asyncpg://u@h/db" and settings.db_pool_size == 3
    assert settings.cors_origins == ["https://a.example"] and not settings.is_sqlite


async def test_argon2id_hash_verify_and_rehash_on_parameter_change() -> None:
    old = Argon2PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    new = Argon2PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    stored = await old.hash("secret-123")
    assert stored.startswith("$argon2id$")
    assert await old.verify("secret-123", stored) == (True, None)
    assert (await old.verify("wrong", stored))[0] is False
    valid, updated = await new.verify("secret-123", stored)
    assert valid and updated is not None and updated != stored
    assert await new.verify("secret-123", updated) == (True, None)
    assert await old.verify("anything", None) == (False, None)


async def test_argon2id_runs_at_most_concurrency_hashes_at_once() -> None:
    """A login storm queues for the hashing pool: never more hashes at once than it allows."""
    import asyncio
    import threading
    import time

    running, most = 0, 0
    lock = threading.Lock()

    def slow_hash(password: str) -> str:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)  # long enough for the other calls to be in flight
        with lock:
            running -= 1
        return password[::-1]

    for concurrency in (1, 2):
        running, most = 0, 0
        hasher = Argon2PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, concurrency=concurrency)
        hasher._hash.hash = slow_hash  # type: ignore[method-assign]
        hashed = await asyncio.gather(*(hasher.hash(f"password {n}") for n in range(6)))
        assert hashed == [f"password {n}"[::-1] for n in range(6)]
        assert most == concurrency and hasher.concurrency == concurrency
    assert Argon2PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).concurrency >= 1


def test_jwt_round_trip_and_rejections() -> None:
    tokens = JwtTokenService("k" * 32, expire_minutes=5)
    claims = tokens.claims(tokens.issue(42, 3))
    assert (claims.user_id, claims.version) == (42, 3)
    assert tokens.expires_in == 300
    for bad in (
        "",
        "a.b.c",
        JwtTokenService("other" * 8, 5).issue(42, 0),
        JwtTokenService("k" * 32, 5).issue(0, 0),
    ):
        with pytest.raises(Unauthorized):
            tokens.claims(bad)
