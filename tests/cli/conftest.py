"""Operator commands run through typer's CliRunner against this test's catalog and Redis."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from control_plane.settings import Settings

SECRETS = ("database_url", "redis_url", "token_pepper", "jwt_secret", "seal_keys", "local_servers")


@pytest.fixture
def cli_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    env = {f"BERTH_{name.upper()}": settings.secret(name) for name in SECRETS}
    return {**env, "BERTH_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
