"""Configuration from the environment and ``.env`` (pydantic-settings). Every variable is listed
with its default in ``.env.example`` and the README."""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-in-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

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
    cors_origins: list[str] = Field(default_factory=list)
    log_level: str = "INFO"
    max_body_bytes: int = Field(1024 * 1024, ge=1)

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key in ("", DEFAULT_SECRET):
            raise ValueError("SECRET_KEY must be set to a non-default value when ENVIRONMENT=production")
        return self

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
