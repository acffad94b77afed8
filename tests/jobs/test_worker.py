"""The worker loop: it survives a bad pass, and `running` provisions an enqueued endpoint."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

import asyncpg
import pytest
import redis.asyncio as aioredis

from control_plane.catalog.db import create_pool
from control_plane.catalog.jobs import Job
from control_plane.providers.fake import FakeProvider
from control_plane.providers.local import LocalProvider
from control_plane.sealing import Sealer
from control_plane.settings import Settings
from jobs.handlers import HANDLERS, Handler, Progress, Resources
from jobs.worker import Worker, running, stop_within
from tests.jobs.conftest import Clock, add_endpoint, add_job, resources, runner


async def test_a_bad_pass_is_logged_and_the_loop_goes_on(
    catalog_url: str, redis_client: aioredis.Redis, sealer: Sealer, fake: FakeProvider, clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    closed = await create_pool(catalog_url, "berth_worker", min_size=0, max_size=1)
    await closed.close()  # the catalog is unreachable for this pass
    worker = Worker(runner(resources(closed, fake, sealer, redis_client, clock), clock), periodic={})
    with caplog.at_level(logging.INFO, logger="berth.worker"):
        assert await worker.run_pass() is False
    assert [r.getMessage() for r in caplog.records] == ["worker pass failed: InterfaceError: pool is closed"]


async def test_periodic_jobs_are_enqueued_once_per_interval(
    pool: asyncpg.Pool, catalog: asyncpg.Connection, redis_client: aioredis.Redis, sealer: Sealer,
    fake: FakeProvider, clock: Clock,
) -> None:
    ticks = iter([0.0, 10.0, 31.0, 40.0, 62.0])
    worker = Worker(runner(resources(pool, fake, sealer, redis_client, clock), clock),
                    periodic={"flush_usage": 30.0}, monotonic=lambda: next(ticks))
    # The first is due one interval after start, then one per interval.
    assert [await worker.run_pass() for _ in range(5)] == [False, False, True, False, True]
    assert await catalog.fetchval("SELECT count(*) FROM jobs WHERE kind = 'flush_usage'") == 2


async def test_running_provisions_an_enqueued_endpoint(
    settings: Settings, server_url: str, catalog: asyncpg.Connection, installation: uuid.UUID,
) -> None:
    endpoint = await add_endpoint(catalog, uuid.uuid4())
    async with running(settings, periodic={"flush_usage": 0.01}):
        await add_job(catalog, "provision", {"endpoint_id": str(endpoint)})
        for _ in range(200):
            if await catalog.fetchval("SELECT count(DISTINCT kind) FROM jobs WHERE status = 'done'") == 2:
                break
            await asyncio.sleep(0.05)
    kinds = await catalog.fetch("SELECT DISTINCT kind FROM jobs WHERE status = 'done' ORDER BY kind")
    assert [k["kind"] for k in kinds] == ["flush_usage", "provision"]
    assert await catalog.fetchval("SELECT status FROM endpoints WHERE id = $1", endpoint) == "ready"
    ref = await catalog.fetchval("SELECT provider_ref FROM endpoints WHERE id = $1", endpoint)
    await LocalProvider([server_url], installation=installation).delete_database(ref)


async def test_stopping_past_the_grace_hands_the_running_job_back(
    pool: asyncpg.Pool, catalog: asyncpg.Connection, redis_client: aioredis.Redis, sealer: Sealer,
    fake: FakeProvider, clock: Clock,
) -> None:
    started = asyncio.Event()

    async def forever(res: Resources, job: Job, progress: Progress) -> list[str]:
        started.set()
        await asyncio.Event().wait()
        return []

    job_id = await catalog.fetchval(
        "INSERT INTO jobs (kind, run_at) VALUES ('probe', now() - interval '5 seconds') RETURNING id")
    work = runner(resources(pool, fake, sealer, redis_client, clock), clock,
                  handlers={**HANDLERS, "probe": Handler(forever)})
    stop = asyncio.Event()
    task = asyncio.create_task(Worker(work, periodic={}).run(stop))
    await started.wait()
    stop.set()
    await stop_within(task, 0.05)
    row = await catalog.fetchrow("SELECT status, attempts, locked_by FROM jobs WHERE id = $1", job_id)
    assert tuple(row) == ("queued", 0, None)


async def test_pruning_keeps_jobs_and_sign_ups_bounded_but_keeps_what_the_operator_needs(
    pool: asyncpg.Pool, catalog: asyncpg.Connection, redis_client: aioredis.Redis, sealer: Sealer,
    fake: FakeProvider, clock: Clock,
) -> None:
    ages = [("flush_usage", "done", 2), ("flush_usage", "done", 0), ("reconcile", "dead", 8),
            ("reconcile", "dead", 2), ("provision", "done", 31), ("provision", "done", 2),
            ("provision", "dead", 90)]
    for kind, status, days in ages:
        await catalog.execute("INSERT INTO jobs (kind, status, updated_at) "
                              "VALUES ($1, $2, now() - make_interval(days => $3))", kind, status, days)
    for name, hours in (("expired", -1), ("waiting", 1)):
        await catalog.execute("INSERT INTO pending_signups (token_hash, email, password_hash, tenant_name, "
                              "expires_at) VALUES ($1, $2, 'h', 't', $3)", name.encode(), f"{name}@x.io",
                              clock() + timedelta(hours=hours))
    await catalog.execute("INSERT INTO jobs (kind, run_at) "
                          "VALUES ('prune_jobs', now() - interval '5 seconds')")
    said = await runner(resources(pool, fake, sealer, redis_client, clock), clock).run_once()
    assert said[0].endswith("done: pruned 3 finished jobs; pruned 1 expired sign-ups")
    assert await catalog.fetchval("SELECT array_agg(email) FROM pending_signups") == ["waiting@x.io"]
    left = await catalog.fetch("SELECT kind, status FROM jobs WHERE kind <> 'prune_jobs' ORDER BY id")
    assert [tuple(r) for r in left] == [("flush_usage", "done"), ("reconcile", "dead"), ("provision", "done"),
                                        ("provision", "dead")]
