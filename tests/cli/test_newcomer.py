"""The operator CLI as a newcomer meets it: whole ids, a replacement API key, --version, clear refusals."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import httpx
from typer.testing import CliRunner

from cli.commands import jobs, tenants
from cli.main import app
from control_plane.api.app import serving
from control_plane.settings import Settings


def _tenant(runner: CliRunner, env: dict[str, str]) -> dict[str, str]:
    made = runner.invoke(tenants.app, ["create", "--name", "A tenant with a long name indeed",
                                       "--email", "new@acme.test", "--json"], env=env)
    assert made.exit_code == 0, made.output
    shown: dict[str, str] = json.loads(made.stdout)
    return shown


def test_tables_never_cut_an_id_at_80_columns_or_when_piped(cli_env: dict[str, str],
                                                            runner: CliRunner) -> None:
    made = _tenant(runner, cli_env)
    listed = runner.invoke(tenants.app, ["list"], env={**cli_env, "COLUMNS": "80"})
    assert listed.exit_code == 0, listed.output
    assert made["tenant_id"] in listed.stdout and "…" not in listed.stdout


def test_a_lost_first_key_is_replaced_by_a_new_one_that_works(settings: Settings, cli_env: dict[str, str],
                                                               runner: CliRunner) -> None:
    made = _tenant(runner, cli_env)
    created = runner.invoke(tenants.app, ["keys", "create", made["tenant_id"], "--json"], env=cli_env)
    assert created.exit_code == 0, created.output
    key = json.loads(created.stdout)["api_key"]
    assert key.startswith("bth_") and key != made["api_key"]
    shown = runner.invoke(tenants.app, ["keys", "create", made["tenant_id"]], env=cli_env)
    assert "will not be shown again" in shown.output


def test_the_new_key_authenticates_against_the_api(settings: Settings, cli_env: dict[str, str],
                                                   runner: CliRunner) -> None:
    made = _tenant(runner, cli_env)
    key = json.loads(runner.invoke(tenants.app, ["keys", "create", made["tenant_id"], "--json"],
                                   env=cli_env).stdout)["api_key"]
    assert asyncio.run(_list_endpoints(settings, key)) == 200


async def _list_endpoints(settings: Settings, key: str) -> int:
    async with serving(settings) as api:
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://berth.test") as http:
            listed = await http.get("/v1/endpoints", headers={"Authorization": f"Bearer {key}"})
    return listed.status_code


def test_version(runner: CliRunner) -> None:
    shown = runner.invoke(app, ["--version"])
    assert shown.exit_code == 0 and re.fullmatch(r"berth \d+\.\d+\.\d+\S*\n", shown.stdout)


def test_status_json_keys_have_no_spaces(cli_env: dict[str, str], runner: CliRunner) -> None:
    shown = runner.invoke(app, ["status", "--json"], env=cli_env)
    assert shown.exit_code == 0, shown.output
    keys = json.loads(shown.stdout)
    assert keys and all(" " not in key for key in keys) and "jobs_dead" in keys


def test_without_a_running_dev_or_settings_it_says_berth_was_not_found(tmp_path: Path,
                                                                       runner: CliRunner) -> None:
    env = {"BERTH_DATA_DIR": str(tmp_path / "nothing"), "BERTH_DATABASE_URL": "", "BERTH_TOKEN_PEPPER": ""}
    shown = runner.invoke(tenants.app, ["list"], env=env)
    assert shown.exit_code == 1
    assert "no Berth found" in shown.output and "PEPPER" not in shown.output


def test_an_unknown_job_status_is_a_usage_error(cli_env: dict[str, str], runner: CliRunner) -> None:
    shown = runner.invoke(jobs.app, ["list", "--status", "bogus"], env=cli_env)
    assert shown.exit_code == 2 and "bogus" in shown.output
    assert runner.invoke(jobs.app, ["list", "--status", "dead"], env=cli_env).exit_code == 0
