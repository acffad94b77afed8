"""An import whose endpoint is still provisioning waits without spending its attempts, and not for ever."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import asyncpg
import redis.asyncio as aioredis

from control_plane.catalog.jobs import Kind
from control_plane.providers.fake import FakeProvider
from control_plane.sealing import Sealer
from tests.jobs.conftest import Clock, add_endpoint, add_job, job_row, resources, runner

IMPORT = """
INSERT INTO imports (id, tenant_id, endpoint_id, format, mode, spool_path, actor, created_at)
VALUES ($1, $2, $3, 'csv', 'create', $4, 'test', now() - $5 * interval '1 second')
"""
STATE = "SELECT state, errors->0->>'code' AS code FROM imports WHERE id = $1"


async def queued_import(catalog: asyncpg.Connection, tmp_path: Path, *,
                        age: float = 0) -> tuple[int, uuid.UUID, uuid.UUID]:
    tenant, import_id = uuid.uuid4(), uuid.uuid4()
    endpoint = await add_endpoint(catalog, tenant)
    spooled = tmp_path / f"{import_id}.upload"
    spooled.write_bytes(b"a\n1\n")
    await catalog.execute(IMPORT, import_id, tenant, endpoint, str(spooled), age)
    job = await add_job(catalog, Kind.IMPORT, {"import_id": str(import_id)}, tenant)
    return job, import_id, endpoint


async def test_the_job_waits_for_the_endpoint_and_keeps_its_attempts(
    pool: asyncpg.Pool, catalog: asyncpg.Connection, redis_client: aioredis.Redis, sealer: Sealer,
    fake: FakeProvider, clock: Clock, tmp_path: Path,
) -> None:
    job, import_id, endpoint = await queued_import(catalog, tmp_path)
    run = runner(resources(pool, fake, sealer, redis_client, clock), clock)
    for _ in range(3):
        said = await run.run_once()
        assert said == [f"job {job} (import) waits 1 s: import {import_id} waits for its endpoint to be "
                        "provisioned"]
        row = await job_row(catalog, job)
        due = clock() + timedelta(seconds=1)
        assert (row["status"], row["attempts"], row["run_at"]) == ("queued", 0, due)
        assert await run.run_once() == []  # not due before its time
        clock.advance(1)
    assert (await catalog.fetchrow(STATE, import_id))["state"] == "queued"
    await catalog.execute("UPDATE endpoints SET status = 'failed' WHERE id = $1", endpoint)
    await run.run_once()
    assert tuple(await catalog.fetchrow(STATE, import_id)) == ("failed", "endpoint_not_ready")
    assert (await job_row(catalog, job))["status"] == "done"


async def test_an_import_that_waited_too_long_fails(
    pool: asyncpg.Pool, catalog: asyncpg.Connection, redis_client: aioredis.Redis, sealer: Sealer,
    fake: FakeProvider, clock: Clock, tmp_path: Path,
) -> None:
    _, import_id, _ = await queued_import(catalog, tmp_path, age=2 * 3600)
    await runner(resources(pool, fake, sealer, redis_client, clock), clock).run_once()
    assert tuple(await catalog.fetchrow(STATE, import_id)) == ("failed", "endpoint_not_ready")
