"""`berth status`, `berth jobs` and `berth reconcile` through the CLI, on real Postgres and Redis."""

from __future__ import annotations

import asyncio
import json
import tempfile
import uuid
from pathlib import Path

import asyncpg
import redis
from typer.testing import CliRunner

from cli.embedded import embedded_postgres
from cli.main import app
from control_plane.providers.base import DatabaseSpec
from control_plane.providers.local import LocalProvider

DEAD_JOB = """
INSERT INTO jobs (kind, payload, status, attempts, last_error)
VALUES ('reconcile', '{}', 'dead', 8, 'provider unreachable') RETURNING id
"""


async def _fetchval(catalog_url: str, sql: str) -> object:
    conn = await asyncpg.connect(catalog_url)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


def test_status_reports_services_queue_and_gateways(
    catalog_url: str, cli_env: dict[str, str], runner: CliRunner, redis_url: str
) -> None:
    asyncio.run(_fetchval(catalog_url, DEAD_JOB))
    client = redis.Redis.from_url(redis_url)
    client.set("berth:gateway:host-a:1", json.dumps({"pools": 3, "degraded": False}), ex=30)
    client.set("berth:gateway:host-b:2", json.dumps({"pools": 2, "degraded": True}), ex=30)
    try:
        result = runner.invoke(app, ["status", "--json"], env=cli_env)
    finally:
        client.delete("berth:gateway:host-a:1", "berth:gateway:host-b:2")
        client.close()
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["catalog"] == "ok" and report["redis"] == "ok"
    assert report["jobs_dead"] == 1
    assert (report["gateways"], report["pools_open"], report["gateways_degraded"]) == (2, 5, 1)
    assert report["provider_local"].startswith("ok")


def test_jobs_list_show_and_retry(catalog_url: str, cli_env: dict[str, str], runner: CliRunner) -> None:
    job_id = asyncio.run(_fetchval(catalog_url, DEAD_JOB))
    listed = runner.invoke(app, ["jobs", "list", "--status", "dead", "--json"], env=cli_env)
    assert [j["id"] for j in json.loads(listed.stdout)] == [job_id]
    shown = json.loads(runner.invoke(app, ["jobs", "show", str(job_id), "--json"], env=cli_env).stdout)
    assert (shown["status"], shown["last_error"]) == ("dead", "provider unreachable")
    retried = runner.invoke(app, ["jobs", "retry", str(job_id), "--json"], env=cli_env)
    assert json.loads(retried.stdout)["status"] == "queued"
    again = runner.invoke(app, ["jobs", "retry", str(job_id)], env=cli_env)
    assert again.exit_code == 1
    assert again.stderr.strip() == f"berth: job {job_id} is queued; only a dead job can be retried"
    missing = runner.invoke(app, ["jobs", "show", "999999"], env=cli_env)
    assert missing.exit_code == 1 and "no job 999999" in missing.stderr
    assert runner.invoke(app, ["jobs", "show", "not-a-number"], env=cli_env).exit_code == 2


def test_reconcile_quarantines_an_orphan_restores_it_and_drops_it_after_the_grace(
    cli_env: dict[str, str], runner: CliRunner, installation: uuid.UUID,
) -> None:
    # Outside pytest's numbered temp folders, which a concurrent run on the machine may prune.
    with tempfile.TemporaryDirectory(prefix="berth-") as folder, embedded_postgres(Path(folder)) as fleet:
        provider = LocalProvider([fleet], installation=installation)
        orphan = asyncio.run(provider.create_database(DatabaseSpec(uuid.uuid4()))).ref
        env = {**cli_env, "BERTH_LOCAL_SERVERS": fleet}
        dry = runner.invoke(app, ["reconcile", "--dry-run", "--json"], env=env)
        assert dry.exit_code == 0, dry.output
        assert any(f"would quarantine orphaned database {orphan}" in s for s in json.loads(dry.stdout)["did"])
        done = runner.invoke(app, ["reconcile"], env=env)
        assert done.exit_code == 0 and f"quarantined orphaned database {orphan}" in done.stdout
        assert asyncio.run(provider.get_database(orphan)) is not None
        back = runner.invoke(app, ["reconcile", "restore", orphan], env=env)
        assert back.exit_code == 0, back.output
        assert back.stdout.strip() == f"restored database {orphan}: its roles may connect again"
        stranger = runner.invoke(app, ["reconcile", "restore", "db_" + "z" * 24], env=env)
        assert stranger.exit_code == 1 and stranger.stderr.count("\n") == 1
        now = {**env, "BERTH_ORPHAN_GRACE_HOURS": "0"}
        assert runner.invoke(app, ["reconcile"], env=now).exit_code == 0  # quarantined again
        gone = runner.invoke(app, ["reconcile"], env=now)
        assert gone.exit_code == 0, gone.stderr
        assert gone.exit_code == 0 and f"deleted orphaned database {orphan}" in gone.stdout
        assert asyncio.run(provider.get_database(orphan)) is None
