"""`berth endpoints`: create, provision (fake provider), list, show by id or slug, delete."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg
import redis.asyncio as aioredis
from typer.testing import CliRunner

from cli.commands import endpoints, tenants
from control_plane.catalog.db import create_pool
from control_plane.providers.fake import FakeProvider
from control_plane.sealing import Sealer
from jobs.steps.lifecycle import provision_endpoint


async def sql(catalog_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    catalog = await asyncpg.connect(catalog_url)
    try:
        rows: list[asyncpg.Record] = await catalog.fetch(query, *args)
        return rows
    finally:
        await catalog.close()


def new_tenant(catalog_url: str) -> str:
    tenant = uuid.uuid4()
    asyncio.run(sql(catalog_url, "INSERT INTO tenants (id, name) VALUES ($1, 'acme')", tenant))
    return str(tenant)


async def _provision(env: dict[str, str], endpoint_id: str) -> None:
    pool = await create_pool(env["BERTH_DATABASE_URL"], "berth_worker", min_size=0, max_size=1)
    client = aioredis.from_url(env["BERTH_REDIS_URL"])
    try:
        sealer = Sealer.from_setting(env["BERTH_SEAL_KEYS"])
        await provision_endpoint(pool, FakeProvider(), sealer, client, uuid.UUID(endpoint_id))
    finally:
        await client.aclose()
        await pool.close()


def ready_endpoint(runner: CliRunner, env: dict[str, str], tenant: str, name: str = "orders"
                   ) -> dict[str, Any]:
    """An endpoint made through the CLI and provisioned by the worker's code on a fake provider."""
    made = runner.invoke(endpoints.app, ["create", name, "--tenant", tenant, "--json"], env=env)
    assert made.exit_code == 0, made.output
    shown: dict[str, Any] = json.loads(made.stdout)
    asyncio.run(_provision(env, shown["id"]))
    return shown


def test_create_enqueues_provisioning_and_show_finds_it_by_slug(
    catalog_url: str, cli_env: dict[str, str], runner: CliRunner
) -> None:
    tenant = new_tenant(catalog_url)
    args = ["create", "orders", "--tenant", tenant, "--plan", "pro", "--json"]
    refused = runner.invoke(endpoints.app, args, env=cli_env)
    assert refused.exit_code == 1 and "plan is free" in refused.output
    assert runner.invoke(tenants.app, ["set-plan", tenant, "pro"], env=cli_env).exit_code == 0
    made = runner.invoke(endpoints.app, args, env=cli_env)
    assert made.exit_code == 0, made.output
    endpoint = json.loads(made.stdout)
    assert endpoint["status"] == "provisioning" and endpoint["plan"] == "pro"
    [job] = asyncio.run(sql(catalog_url, "SELECT payload FROM jobs WHERE kind = 'provision'"))
    assert json.loads(job["payload"])["endpoint_id"] == endpoint["id"]
    asyncio.run(_provision(cli_env, endpoint["id"]))
    shown = runner.invoke(endpoints.app, ["show", endpoint["slug"], "--json"], env=cli_env)
    assert shown.exit_code == 0, shown.output
    seen = json.loads(shown.stdout)
    assert (seen["id"], seen["tenant_id"], seen["status"]) == (endpoint["id"], tenant, "ready")


def test_list_across_tenants_and_for_one(
    catalog_url: str, cli_env: dict[str, str], runner: CliRunner
) -> None:
    first, second = new_tenant(catalog_url), new_tenant(catalog_url)
    a = ready_endpoint(runner, cli_env, first, "a")
    b = ready_endpoint(runner, cli_env, second, "b")
    everything = json.loads(runner.invoke(endpoints.app, ["list", "--json"], env=cli_env).stdout)
    assert [(e["id"], e["tenant_id"]) for e in everything] == [(a["id"], first), (b["id"], second)]
    mine = runner.invoke(endpoints.app, ["list", "--tenant", second, "--json"], env=cli_env)
    assert [(e["id"], e["calls_this_month"]) for e in json.loads(mine.stdout)] == [(b["id"], 0)]
    table = runner.invoke(endpoints.app, ["list"], env=cli_env)
    assert table.exit_code == 0 and a["slug"] in table.stdout


def test_refused_delete_changes_nothing_then_yes_starts_deletion(
    catalog_url: str, cli_env: dict[str, str], runner: CliRunner
) -> None:
    endpoint = ready_endpoint(runner, cli_env, new_tenant(catalog_url))
    status = "SELECT status FROM endpoints WHERE id = $1"
    refused = runner.invoke(endpoints.app, ["delete", endpoint["id"]], env=cli_env, input="n\n")
    assert refused.exit_code == 1
    assert asyncio.run(sql(catalog_url, status, uuid.UUID(endpoint["id"])))[0]["status"] == "ready"
    done = runner.invoke(endpoints.app, ["delete", endpoint["slug"], "--yes", "--json"], env=cli_env)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["status"] == "deleting"
    assert asyncio.run(sql(catalog_url, status, uuid.UUID(endpoint["id"])))[0]["status"] == "deleting"
    [entry] = asyncio.run(sql(catalog_url, "SELECT actor FROM audit_log WHERE action = 'endpoint.delete'"))
    assert entry["actor"].startswith("operator:")


def test_failures_are_one_line_exit_1_and_usage_errors_exit_2(
    catalog_url: str, cli_env: dict[str, str], runner: CliRunner
) -> None:
    unknown = runner.invoke(endpoints.app, ["show", "no-such-slug"], env=cli_env)
    assert unknown.exit_code == 1 and unknown.stderr == "berth: no endpoint with id or slug 'no-such-slug'\n"
    bad_plan = ["create", "x", "--tenant", new_tenant(catalog_url), "--plan", "gold"]
    assert runner.invoke(endpoints.app, bad_plan, env=cli_env).exit_code == 1
    assert runner.invoke(endpoints.app, ["create", "x"], env=cli_env).exit_code == 2
    assert runner.invoke(endpoints.app, ["list", "--tenant", "acme"], env=cli_env).exit_code == 2
