"""Operator commands run through typer's CliRunner against this test's catalog and Redis."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from control_plane.settings import Settings
from tests.conftest import berth_environment


@pytest.fixture
def cli_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    return {**berth_environment(settings), "BERTH_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
