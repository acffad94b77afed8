"""Usage flush: Redis monthly counters into usage_monthly, never lowering a stored count."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg
import redis.asyncio as aioredis

from control_plane.providers.fake import FakeProvider
from control_plane.sealing import Sealer
from tests.jobs.conftest import Clock, add_endpoint, add_job, resources, runner

USAGE = "SELECT month, calls FROM usage_monthly WHERE endpoint_id = $1 ORDER BY month"


async def test_counters_are_flushed_with_greatest(
    pool: asyncpg.Pool, catalog: asyncpg.Connection, redis_client: aioredis.Redis, sealer: Sealer,
    fake: FakeProvider, clock: Clock,
) -> None:
    tenant = uuid.uuid4()
    fresh, known = [await add_endpoint(catalog, tenant, status="ready") for _ in range(2)]
    await catalog.execute("INSERT INTO usage_monthly (tenant_id, endpoint_id, month, calls) "
                          "VALUES ($1, $2, '2026-11-01', 10)", tenant, known)
    await redis_client.mset({
        f"berth:{{{fresh}}}:m:2026-11": 7,
        f"berth:{{{known}}}:m:2026-11": 3,  # behind the catalog (e.g. Redis lost data): keep 10
        f"berth:{{{known}}}:m:2026-10": 4,
        f"berth:{{{uuid.uuid4()}}}:m:2026-11": 9,  # an endpoint the catalog no longer has
        f"berth:{{{fresh}}}:s:1790000000": 2,  # a burst window, not a month
        "berth:{not-an-id}:m:2026-11": 5,
    })
    work = runner(resources(pool, fake, sealer, redis_client, clock), clock)
    job_id = await add_job(catalog, "flush_usage", {})
    assert await work.run_once() == [f"job {job_id} (flush_usage) done: flushed 4 monthly usage counters"]
    assert [tuple(r) for r in await catalog.fetch(USAGE, fresh)] == [(date(2026, 11, 1), 7)]
    assert [tuple(r) for r in await catalog.fetch(USAGE, known)] == [
        (date(2026, 10, 1), 4), (date(2026, 11, 1), 10)]

    await redis_client.set(f"berth:{{{fresh}}}:m:2026-11", 12)
    await add_job(catalog, "flush_usage", {})
    await work.run_once()
    assert [tuple(r) for r in await catalog.fetch(USAGE, fresh)] == [(date(2026, 11, 1), 12)]
