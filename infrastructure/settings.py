"""Configuration from the environment and ``.env`` (pydantic-settings). Every variable is listed
with its default in ``.env.example`` and the README."""

from __future__ import annotations

import ipaddress
import json
from functools import cached_property
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SECRET = "change-me-in-production"
MIN_SECRET_BITS = 256
# Values people paste from examples; refused in production whatever their length.
PLACEHOLDER_SECRETS = frozenset(
    {"", DEFAULT_SECRET, "secret", "changeme", "change-me", "your-secret-key", "supersecret", "password"}
)


def secret_strength_bits(secret: str) -> float:
    """A conservative estimate of the entropy of ``secret``: its length times the bits per
    character of the smallest alphabet it is drawn from (hex 4, base64 6, printable ASCII 6.5,
    anything else 8); a key of fewer than 10 distinct characters scores nothing. A key of
    ``openssl rand -hex 32`` or ``python -c "import secrets; print(secrets.token_urlsafe(32))"``
    scores at least 256; ``secret`` repeated or ``aaaa...`` does not."""
    if not secret:
        return 0.0
    if all(c in "0123456789abcdefABCDEF" for c in secret):
        per_char = 4.0
    elif all(c.isascii() and (c.isalnum() or c in "-_+/=") for c in secret):
        per_char = 6.0
    elif all(c.isascii() and c.isprintable() for c in secret):
        per_char = 6.5
    else:
        per_char = 8.0
    return len(secret) * per_char if len(set(secret)) >= 10 else 0.0


class Settings(BaseSettings):
    # An empty variable means "use the default" (so a copied .env.example works as it is).
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    environment: Literal["development", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./bazaar.db"
    db_pool_size: int = Field(10, ge=1)
    db_max_overflow: int = Field(0, ge=0)
    db_pool_timeout: float = Field(5.0, gt=0)
    db_pool_recycle: int = Field(1800, description="seconds; -1 never recycles")
    db_pool_pre_ping: bool = False
    db_echo: bool = False
    # Scale-out (issue 19, README "Running at scale"): a streaming replica for query services,
    # and PgBouncer in transaction mode between the workers and PostgreSQL.
    database_read_url: str | None = Field(
        None, description="a read replica for query services; writes and a write's own view use the primary"
    )
    db_read_fallback_seconds: float = Field(
        5.0, gt=0, description="after the replica refuses a connection, reads use the primary this long"
    )
    db_native_reads: bool = Field(
        True,
        description="PostgreSQL (asyncpg, not behind PgBouncer): the hot reads (an item, the caller, "
        "item pages) skip SQLAlchemy's execution layer (docs/adr/0020-native-read-path.md)",
    )
    db_pgbouncer: bool = Field(
        False, description="PgBouncer in transaction mode: no prepared-statement caches, unique names"
    )
    secret_key: str = DEFAULT_SECRET
    access_token_expire_minutes: int = Field(60, ge=1)
    password_hash_concurrency: int | None = Field(
        None, ge=1, description="Argon2id hashes run at once per worker (default: the number of CPUs)"
    )
    # A JSON list or comma-separated origins ("https://a.example,https://b.example").
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: str = "INFO"
    max_body_bytes: int = Field(1024 * 1024, ge=1)
    # Operations (issue 7): log rendering, slow statements, driver timeouts, outage answers.
    log_format: Literal["console", "json"] | None = Field(
        None, description="default: json when ENVIRONMENT=production, else console"
    )
    slow_query_ms: float = Field(500, gt=0, description="statements slower than this are logged and counted")
    db_command_timeout: float = Field(8, gt=0, description="seconds one statement may take (PostgreSQL)")
    retry_after_seconds: int = Field(5, ge=1, description="Retry-After of 503 service-unavailable")
    # Proxies (IPs or CIDRs, JSON list or comma-separated) whose X-Forwarded-For is believed when
    # they are the peer: the login throttle then counts the client they name, not the proxy.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Connection limits of `bazaar serve`, per worker (interfaces/http/server.py).
    max_header_bytes: int = Field(
        64 * 1024, ge=1024, description="request line plus header fields, in bytes; larger → 431"
    )
    max_headers: int = Field(100, ge=10, description="header fields per request; more → 431")
    header_timeout: float = Field(30, ge=1, description="seconds for a whole request head to arrive")
    body_timeout: float = Field(60, ge=1, description="seconds for a request body to arrive after its head")
    keepalive_timeout: int = Field(5, ge=1, description="seconds an idle keep-alive connection stays open")
    max_connections: int = Field(1000, ge=1, description="connections served at once; beyond → 503")

    @field_validator("cors_origins", "trusted_proxies", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [origin.strip() for origin in text.split(",") if origin.strip()]
        return value

    @property
    def log_renderer(self) -> Literal["console", "json"]:
        if self.log_format is not None:
            return self.log_format
        return "json" if self.environment == "production" else "console"

    @model_validator(mode="after")
    def _refuse_weak_secret_in_production(self) -> Settings:
        """Anyone can sign up and take a token: a guessable key lets them forge a superuser's."""
        if self.environment != "production":
            return self
        if self.secret_key.strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError("SECRET_KEY is a placeholder; set a random key when ENVIRONMENT=production")
        if secret_strength_bits(self.secret_key) < MIN_SECRET_BITS:
            raise ValueError(
                f"SECRET_KEY is too weak for ENVIRONMENT=production: use at least {MIN_SECRET_BITS // 8} "
                'random bytes, e.g. `python -c "import secrets; print(secrets.token_urlsafe(32))"`'
            )
        return self

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        for network in value:
            ipaddress.ip_network(network, strict=False)  # ValueError names the bad entry
        return value

    @cached_property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(n, strict=False) for n in self.trusted_proxies)

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
