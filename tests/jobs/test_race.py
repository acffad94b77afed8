"""Two workers racing on one queue: every job runs exactly once, never twice at the same time."""

from __future__ import annotations

import asyncio
from collections import Counter

import asyncpg
import redis.asyncio as aioredis

from control_plane.catalog.jobs import Job
from control_plane.providers.fake import FakeProvider
from control_plane.sealing import Sealer
from jobs.handlers import HANDLERS, Handler, Progress, Resources
from jobs.runner import Runner
from tests.jobs.conftest import Clock, resources, runner

JOBS = 40


async def test_two_workers_never_run_one_job_twice(
    pool: asyncpg.Pool, catalog: asyncpg.Connection, redis_client: aioredis.Redis, sealer: Sealer,
    fake: FakeProvider, clock: Clock,
) -> None:
    running: set[int] = set()
    runs: Counter[int] = Counter()
    overlaps: list[int] = []

    async def probe(res: Resources, job: Job, progress: Progress) -> list[str]:
        if job.id in running:
            overlaps.append(job.id)
        running.add(job.id)
        runs[job.id] += 1
        await asyncio.sleep(0.002)  # yield, so the other worker claims meanwhile
        running.discard(job.id)
        return ["ok"]

    await catalog.execute(
        "INSERT INTO jobs (kind, run_at) SELECT 'probe', now() - interval '5 seconds' "
        "FROM generate_series(1, $1)", JOBS)
    handlers = {**HANDLERS, "probe": Handler(probe)}
    res = resources(pool, fake, sealer, redis_client, clock)

    async def drain(work: Runner) -> int:
        done = 0
        while said := await work.run_once():
            done += len(said)
        return done

    counts = await asyncio.gather(drain(runner(res, clock, "w1", handlers=handlers)),
                                  drain(runner(res, clock, "w2", handlers=handlers)))
    assert overlaps == []
    assert sorted(runs.values()) == [1] * JOBS
    assert sum(counts) == JOBS and min(counts) > 0  # both workers took a share
    assert await catalog.fetchval("SELECT count(*) FROM jobs WHERE status = 'done'") == JOBS
