"""`berth usage` and `berth audit tail` across tenants, on real Postgres and Redis."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date

import redis
from typer.testing import CliRunner

from cli import main
from cli.commands import audit, usage
from control_plane import operator
from control_plane.catalog.db import create_pool
from control_plane.redis.counters import month_key
from tests.cli.test_endpoints import new_tenant, ready_endpoint, sql

JANUARY = date(2026, 1, 1)
AUDIT = """
INSERT INTO audit_log (tenant_id, actor, action, outcome) VALUES ($1, 'system', $2, 'ok') RETURNING id
"""


def test_usage_is_the_larger_of_live_and_flushed_counts_per_tenant(
    catalog_url: str, cli_env: dict[str, str], runner: CliRunner
) -> None:
    first, second = new_tenant(catalog_url), new_tenant(catalog_url)
    a, b = ready_endpoint(runner, cli_env, first, "a"), ready_endpoint(runner, cli_env, second, "b")
    flushed = "INSERT INTO usage_monthly (tenant_id, endpoint_id, month, calls) VALUES ($1, $2, $3, 7)"
    asyncio.run(sql(catalog_url, flushed, uuid.UUID(second), uuid.UUID(b["id"]), JANUARY))
    client = redis.Redis.from_url(cli_env["BERTH_REDIS_URL"])
    client.set(month_key(uuid.UUID(a["id"]), JANUARY), 42)
    client.set(month_key(uuid.UUID(b["id"]), JANUARY), 3)
    client.close()

    result = runner.invoke(usage.app, ["--month", "2026-01", "--json"], env=cli_env)
    assert result.exit_code == 0, result.output
    seen = [(r["month"], r["tenant_id"], r["endpoint_id"], r["calls"], r["monthly_limit"])
            for r in json.loads(result.stdout)]
    assert seen == [("2026-01", first, a["id"], 42, 1000), ("2026-01", second, b["id"], 7, 1000)]
    one = runner.invoke(usage.app, ["--month", "2026-01", "--tenant", second, "--json"], env=cli_env)
    assert [r["endpoint_id"] for r in json.loads(one.stdout)] == [b["id"]]


def test_usage_errors(catalog_url: str, cli_env: dict[str, str], runner: CliRunner) -> None:
    bad_month = runner.invoke(usage.app, ["--month", "January"], env=cli_env)
    assert bad_month.exit_code == 1 and bad_month.stderr == "berth: month must look like YYYY-MM\n"
    assert runner.invoke(usage.app, ["--tenant", str(uuid.uuid4())], env=cli_env).exit_code == 1
    assert runner.invoke(usage.app, ["--tenant", "acme"], env=cli_env).exit_code == 2


def test_tail_prints_the_newest_rows_oldest_first_for_all_tenants_or_one(
    catalog_url: str, cli_env: dict[str, str], runner: CliRunner
) -> None:
    first, second = new_tenant(catalog_url), new_tenant(catalog_url)
    for tenant, action in ((first, "x.one"), (second, "x.two"), (first, "x.three")):
        asyncio.run(sql(catalog_url, AUDIT, uuid.UUID(tenant), action))
    newest = runner.invoke(audit.app, ["tail", "--limit", "2", "--json"], env=cli_env)
    assert newest.exit_code == 0, newest.output
    assert [r["action"] for r in json.loads(newest.stdout)] == ["x.two", "x.three"]
    mine = runner.invoke(audit.app, ["tail", "--tenant", first, "--json"], env=cli_env)
    assert [(r["action"], r["tenant_id"]) for r in json.loads(mine.stdout)] == [("x.one", first),
                                                                             ("x.three", first)]
    assert runner.invoke(audit.app, ["tail", "--limit", "0"], env=cli_env).exit_code == 2


def test_follow_prints_each_row_once_as_json_lines(
    catalog_url: str, cli_env: dict[str, str], runner: CliRunner
) -> None:
    tenant = new_tenant(catalog_url)
    asyncio.run(sql(catalog_url, AUDIT, uuid.UUID(tenant), "x.one"))
    followed = runner.invoke(audit.app, ["tail", "--follow", "--polls", "1", "--json"], env=cli_env)
    assert followed.exit_code == 0, followed.output
    assert [json.loads(line)["action"] for line in followed.stdout.splitlines()] == ["x.one"]


async def test_a_follower_reads_rows_after_the_last_it_saw_in_order(catalog_url: str) -> None:
    tenant = uuid.uuid4()
    await sql(catalog_url, "INSERT INTO tenants (id, name) VALUES ($1, 'acme')", tenant)
    ids = [(await sql(catalog_url, AUDIT, tenant, f"x.{n}"))[0]["id"] for n in range(4)]
    await sql(catalog_url, AUDIT, None, "x.other")
    pool = await create_pool(catalog_url, "berth_worker", min_size=0, max_size=1)
    try:
        after = await operator.audit_after(pool, tenant, ids[0], 2)
    finally:
        await pool.close()
    assert [r["id"] for r in after] == ids[1:3]


def test_the_berth_root_command_carries_these_groups(
    catalog_url: str, cli_env: dict[str, str], runner: CliRunner
) -> None:
    tenant = new_tenant(catalog_url)
    listed = runner.invoke(main.app, ["tenants", "list", "--json"], env=cli_env)
    assert [t["id"] for t in json.loads(listed.stdout)] == [tenant]
    counted = runner.invoke(main.app, ["usage", "--tenant", tenant, "--json"], env=cli_env)
    assert counted.exit_code == 0 and json.loads(counted.stdout) == []
    tail = runner.invoke(main.app, ["audit", "tail", "--json"], env=cli_env)
    assert tail.exit_code == 0 and json.loads(tail.stdout) == []
