"""`berth tenants`: create, list, show and delete through the CLI on a real catalog."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from typing import Any

import asyncpg
from typer.testing import CliRunner

from cli.commands import endpoints, tenants
from control_plane.settings import Settings
from jobs.worker import running


async def _fetch(catalog_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    catalog = await asyncpg.connect(catalog_url)
    try:
        rows: list[asyncpg.Record] = await catalog.fetch(query, *args)
        return rows
    finally:
        await catalog.close()


def _create(runner: CliRunner, env: dict[str, str], email: str) -> dict[str, Any]:
    made = runner.invoke(tenants.app, ["create", "--name", "Acme", "--email", email, "--json"], env=env)
    assert made.exit_code == 0, made.output
    shown: dict[str, Any] = json.loads(made.stdout)
    return shown


def test_create_prints_the_generated_password_once_and_list_shows_the_tenant(
    catalog_url: str, cli_env: dict[str, str], runner: CliRunner
) -> None:
    made = _create(runner, cli_env, "ops@acme.test")
    assert made["api_key"].startswith("bth_") and len(made["password"]) >= 20
    listed = runner.invoke(tenants.app, ["list", "--json"], env=cli_env)
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.stdout)
    assert row["id"] == made["tenant_id"] and row["members"] == 1 and row["endpoints"] == 0
    shown = runner.invoke(tenants.app, ["show", made["tenant_id"], "--json"], env=cli_env)
    assert json.loads(shown.stdout)["name"] == "Acme"


def test_password_from_stdin_is_not_printed(
    catalog_url: str, cli_env: dict[str, str], runner: CliRunner
) -> None:
    args = ["create", "--name", "Acme", "--email", "a@acme.test", "--password-stdin", "--json"]
    made = runner.invoke(tenants.app, args, env=cli_env, input="correct horse battery staple\n")
    assert made.exit_code == 0, made.output
    assert "password" not in json.loads(made.stdout) and "battery" not in made.output


def test_unknown_tenant_is_one_line_and_exit_1(cli_env: dict[str, str], runner: CliRunner) -> None:
    result = runner.invoke(tenants.app, ["show", str(uuid.uuid4())], env=cli_env)
    assert result.exit_code == 1
    assert result.stderr == "berth: no such tenant\n"


def test_malformed_id_and_missing_option_are_usage_errors(cli_env: dict[str, str], runner: CliRunner) -> None:
    assert runner.invoke(tenants.app, ["show", "not-a-uuid"], env=cli_env).exit_code == 2
    assert runner.invoke(tenants.app, ["create", "--name", "x"], env=cli_env).exit_code == 2


def test_refused_confirmation_changes_nothing_and_yes_enqueues_the_deletion(
    catalog_url: str, cli_env: dict[str, str], runner: CliRunner
) -> None:
    tenant = _create(runner, cli_env, "d@acme.test")["tenant_id"]
    refused = runner.invoke(tenants.app, ["delete", tenant], env=cli_env, input="n\n")
    assert refused.exit_code == 1 and "nothing was changed" in refused.stderr
    status = "SELECT status FROM tenants WHERE id = $1"
    assert asyncio.run(_fetch(catalog_url, status, uuid.UUID(tenant)))[0]["status"] == "active"

    done = runner.invoke(tenants.app, ["delete", tenant, "--yes", "--json"], env=cli_env)
    assert done.exit_code == 0, done.output
    job_id = json.loads(done.stdout)["job_id"]
    [job] = asyncio.run(_fetch(catalog_url, "SELECT kind, tenant_id FROM jobs WHERE id = $1", job_id))
    assert job["kind"] == "delete_account" and str(job["tenant_id"]) == tenant
    assert asyncio.run(_fetch(catalog_url, status, uuid.UUID(tenant)))[0]["status"] == "deleting"
    [entry] = asyncio.run(_fetch(catalog_url, "SELECT actor FROM audit_log WHERE action = 'account.delete'"))
    assert entry["actor"].startswith("operator:")
    again = runner.invoke(tenants.app, ["delete", tenant, "--yes"], env=cli_env)
    assert again.exit_code == 1 and again.stderr.count("\n") == 1


def test_delete_with_wait_follows_the_job_until_every_database_is_gone(
    catalog_url: str, cli_env: dict[str, str], runner: CliRunner, settings: Settings
) -> None:
    made = _create(runner, cli_env, "wait@acme.test")
    for name in ("one", "two"):
        created = runner.invoke(endpoints.app, ["create", name, "--tenant", made["tenant_id"]], env=cli_env)
        assert created.exit_code == 0, created.output
    stop = threading.Event()
    worker = threading.Thread(target=lambda: asyncio.run(_work_until(settings, stop)))
    worker.start()
    try:
        _until_ready(catalog_url, 2)
        done = runner.invoke(tenants.app, ["delete", made["tenant_id"], "--yes", "--wait", "--json"],
                             env=cli_env)
    finally:
        stop.set()
        worker.join()
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert (report["status"], report["databases_removed"]) == ("done", 2)
    left = asyncio.run(_fetch(catalog_url, "SELECT count(*) FROM endpoints WHERE tenant_id = $1",
                              uuid.UUID(made["tenant_id"])))
    assert left[0][0] == 0


async def _work_until(settings: Settings, stop: threading.Event) -> None:
    async with running(settings, periodic={}):
        await asyncio.to_thread(stop.wait)


def _until_ready(catalog_url: str, count: int) -> None:
    for _ in range(200):
        rows = asyncio.run(_fetch(catalog_url, "SELECT count(*) FROM endpoints WHERE status = 'ready'"))
        if rows[0][0] == count:
            return
        time.sleep(0.05)
    raise AssertionError("endpoints never became ready")


def test_set_plan_moves_the_tenant_and_its_endpoints_and_is_audited(
    catalog_url: str, cli_env: dict[str, str], runner: CliRunner
) -> None:
    tenant = _create(runner, cli_env, "plan@x.io")["tenant_id"]
    made = runner.invoke(endpoints.app, ["create", "shop", "--tenant", tenant, "--json"], env=cli_env)
    assert json.loads(made.stdout)["plan"] == "free"
    moved = runner.invoke(tenants.app, ["set-plan", tenant, "scale", "--json"], env=cli_env)
    assert moved.exit_code == 0, moved.output
    assert json.loads(moved.stdout)["plan"] == "scale"
    plans = asyncio.run(_fetch(catalog_url, "SELECT plan FROM endpoints WHERE tenant_id = $1",
                               uuid.UUID(tenant)))
    assert [r["plan"] for r in plans] == ["scale"]
    audited = "SELECT actor, detail FROM audit_log WHERE action = 'tenant.set_plan'"
    [row] = asyncio.run(_fetch(catalog_url, audited))
    assert row["actor"].startswith("operator:") and json.loads(row["detail"])["to"] == "scale"
    assert runner.invoke(tenants.app, ["set-plan", tenant, "gold"], env=cli_env).exit_code == 2
