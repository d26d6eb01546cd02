"""Configuration from the environment and ``.env`` (pydantic-settings). Every variable is listed
with its default in ``.env.example`` and the README."""

from __future__ import annotations

import json
from functools import cached_property
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SECRET = "change-me-in-production"


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
    secret_key: str = DEFAULT_SECRET
    access_token_expire_minutes: int = Field(60, ge=1)
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

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
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
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key in ("", DEFAULT_SECRET):
            raise ValueError("SECRET_KEY must be set to a non-default value when ENVIRONMENT=production")
        return self

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
