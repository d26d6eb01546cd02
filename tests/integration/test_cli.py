"""The ``bazaar`` command line against a migrated SQLite file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infrastructure.migrations import upgrade
from interfaces.cli import app

runner = CliRunner()


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("SECRET_KEY", "cli-test-secret")
    return path


def test_migrate_then_create_superuser_then_promote(
    sqlite_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    monkeypatch.setenv("BAZAAR_PASSWORD", "root-password-1")
    result = runner.invoke(app, ["create-superuser", "--email", "Root@Example.com", "--username", "root"])
    assert result.exit_code == 0, result.output
    assert "created superuser root@example.com" in result.output
    result = runner.invoke(app, ["create-superuser", "--email", "root@example.com", "--username", "ignored"])
    assert result.exit_code == 0 and "promoted" in result.output
    with sqlite3.connect(sqlite_env) as conn:
        rows = conn.execute("SELECT email, username, is_superuser, password_hash FROM users").fetchall()
    assert len(rows) == 1
    email, username, is_superuser, password_hash = rows[0]
    assert (email, username, is_superuser) == ("root@example.com", "root", 1)
    assert password_hash.startswith("$argon2id$")


def test_create_superuser_prompts_when_no_env(sqlite_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    upgrade(f"sqlite+aiosqlite:///{sqlite_env}")
    monkeypatch.delenv("BAZAAR_PASSWORD", raising=False)
    result = runner.invoke(
        app,
        ["create-superuser", "--email", "a@example.com", "--username", "admin"],
        input="pw-123456\npw-123456\n",
    )
    assert result.exit_code == 0, result.output
    assert "pw-123456" not in result.output


def test_create_superuser_reports_invalid_input(sqlite_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    upgrade(f"sqlite+aiosqlite:///{sqlite_env}")
    monkeypatch.setenv("BAZAAR_PASSWORD", "short")
    result = runner.invoke(app, ["create-superuser", "--email", "a@example.com", "--username", "admin"])
    assert result.exit_code == 1
    assert "password" in result.output


def test_password_is_not_an_option() -> None:
    result = runner.invoke(
        app, ["create-superuser", "--email", "a@x.io", "--username", "u", "--password", "p"]
    )
    assert result.exit_code != 0


def test_openapi_prints_the_schema(sqlite_env: Path) -> None:
    result = runner.invoke(app, ["openapi"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert "/api/v1/users/me" in schema["paths"]
    assert schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["type"] == "oauth2"
