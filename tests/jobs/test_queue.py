"""The queue on a real catalog: leases, backoff, burial, lost leases, hand-back on shutdown."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import asyncpg
import redis.asyncio as aioredis

from control_plane.catalog.jobs import Job
from control_plane.catalog.jobs.lease import Queue
from control_plane.errors import ProviderError
from control_plane.providers.fake import FakeProvider
from control_plane.sealing import Sealer
from jobs.handlers import HANDLERS, Handler, Progress, Resources
from tests.jobs.conftest import Clock, add_endpoint, add_job, job_row, resources, runner


def with_probe(run: Handler) -> dict[str, Handler]:
    return {**HANDLERS, "probe": run}


async def probe_job(conn: asyncpg.Connection) -> int:
    job_id: int = await conn.fetchval(
        "INSERT INTO jobs (kind, run_at) VALUES ('probe', now() - interval '5 seconds') RETURNING id")
    return job_id


async def test_provision_job_runs_and_records_what_it_did(
    pool: asyncpg.Pool, catalog: asyncpg.Connection, redis_client: aioredis.Redis, sealer: Sealer,
    fake: FakeProvider, clock: Clock,
) -> None:
    endpoint = await add_endpoint(catalog, uuid.uuid4())
    job_id = await add_job(catalog, "provision", {"endpoint_id": str(endpoint)})
    said = await runner(resources(pool, fake, sealer, redis_client, clock), clock).run_once()
    assert said == [f"job {job_id} (provision) done: endpoint {endpoint} is ready on fake"]
    row = await job_row(catalog, job_id)
    assert (row["status"], row["attempts"], row["locked_by"]) == ("done", 1, None)
    assert row["result"] == {"said": [f"endpoint {endpoint} is ready on fake"]}
    assert await catalog.fetchval("SELECT status FROM endpoints WHERE id = $1", endpoint) == "ready"


async def test_retries_back_off_with_jitter_then_bury_and_fail_the_endpoint(
    pool: asyncpg.Pool, catalog: asyncpg.Connection, redis_client: aioredis.Redis, sealer: Sealer,
    clock: Clock,
) -> None:
    provider = FakeProvider(fail={"create_database": [
        ProviderError(f"provider answered 503 on try {n}", retryable=True) for n in range(3)]})
    endpoint = await add_endpoint(catalog, uuid.uuid4())
    job_id = await add_job(catalog, "provision", {"endpoint_id": str(endpoint)})
    await catalog.execute("UPDATE jobs SET max_attempts = 3 WHERE id = $1", job_id)
    work = runner(resources(pool, provider, sealer, redis_client, clock), clock)
    for attempt, delay in ((1, 1.5), (2, 3.0)):  # base 2 s doubling, half fixed + rand 0.5 of the other half
        said = await work.run_once()
        assert said[0].endswith("will retry") and f"attempt {attempt}/3" in said[0]
        row = await job_row(catalog, job_id)
        assert row["status"] == "queued" and row["run_at"] == clock.now + timedelta(seconds=delay)
        assert row["last_error"] == f"ProviderError: provider answered 503 on try {attempt - 1}"
        assert await work.run_once() == []  # not due yet
        clock.advance(delay)
    said = await work.run_once()
    assert said[0].endswith(": dead")
    assert (await job_row(catalog, job_id))["status"] == "dead"
    row = await catalog.fetchrow("SELECT status, failure_reason FROM endpoints WHERE id = $1", endpoint)
    assert row["status"] == "failed" and "after 3 attempts" in row["failure_reason"]


async def test_a_permanent_provider_error_buries_the_job_at_once(
    pool: asyncpg.Pool, catalog: asyncpg.Connection, redis_client: aioredis.Redis, sealer: Sealer,
    clock: Clock,
) -> None:
    provider = FakeProvider(databases={"db_x": None},
                            fail={"delete_database": [ProviderError("refused", retryable=False)]})
    endpoint = await add_endpoint(catalog, uuid.uuid4(), status="deleting", ref="db_x")
    job_id = await add_job(catalog, "delete_endpoint", {"endpoint_id": str(endpoint)})
    await runner(resources(pool, provider, sealer, redis_client, clock), clock).run_once()
    row = await job_row(catalog, job_id)
    assert (row["status"], row["attempts"], row["last_error"]) == ("dead", 1, "ProviderError: refused")


async def test_last_error_never_holds_a_password(
    pool: asyncpg.Pool, catalog: asyncpg.Connection, redis_client: aioredis.Redis, sealer: Sealer,
    fake: FakeProvider, clock: Clock,
) -> None:
    async def leaky(res: Resources, job: Job, progress: Progress) -> list[str]:
        raise OSError("could not reach postgresql://r_abc:hunter2@db.internal:5432/db_abc")

    job_id = await probe_job(catalog)
    await runner(resources(pool, fake, sealer, redis_client, clock), clock,
                 handlers=with_probe(Handler(leaky))).run_once()
    error = (await job_row(catalog, job_id))["last_error"]
    assert "hunter2" not in error and "postgresql://r_abc@db.internal:5432/db_abc" in error


async def test_an_unknown_kind_is_buried_at_once(
    pool: asyncpg.Pool, catalog: asyncpg.Connection, redis_client: aioredis.Redis, sealer: Sealer,
    fake: FakeProvider, clock: Clock,
) -> None:
    job_id = await probe_job(catalog)
    await runner(resources(pool, fake, sealer, redis_client, clock), clock).run_once()
    row = await job_row(catalog, job_id)
    assert row["status"] == "dead" and "no handler" in row["last_error"]


async def test_an_expired_lease_passes_the_job_on_and_the_first_worker_cannot_finish_it(
    pool: asyncpg.Pool, catalog: asyncpg.Connection, clock: Clock,
) -> None:
    job_id = await probe_job(catalog)
    first = Queue(pool, "w1", lease_seconds=60, clock=clock)
    second = Queue(pool, "w2", lease_seconds=60, clock=clock)
    held = await first.claim()
    assert held is not None and held.id == job_id
    assert await second.claim() is None  # leased
    clock.advance(61)  # the first worker was killed: no renewal
    taken = await second.claim()
    assert taken is not None and (taken.id, taken.attempts) == (job_id, 2)
    assert not await first.complete(held, {"said": ["late"]})
    assert await first.fail(held, OSError("late")) == "lost"
    assert await second.complete(taken, {"said": ["ok"]})
    row = await job_row(catalog, job_id)
    assert (row["status"], row["result"]) == ("done", {"said": ["ok"]})


async def test_a_job_whose_worker_dies_on_its_last_attempt_is_buried_and_its_endpoint_failed(
    pool: asyncpg.Pool, catalog: asyncpg.Connection, redis_client: aioredis.Redis, sealer: Sealer,
    fake: FakeProvider, clock: Clock,
) -> None:
    endpoint = await add_endpoint(catalog, uuid.uuid4())
    job_id = await add_job(catalog, "provision", {"endpoint_id": str(endpoint)})
    await catalog.execute("UPDATE jobs SET max_attempts = 1 WHERE id = $1", job_id)
    assert await Queue(pool, "killed", clock=clock).claim() is not None
    clock.advance(61)
    said = await runner(resources(pool, fake, sealer, redis_client, clock), clock, "w2").run_once()
    assert said == [f"job {job_id} (provision) is dead: the worker running it stopped before finishing, "
                    "on every allowed attempt"]
    assert (await job_row(catalog, job_id))["status"] == "dead"
    assert await catalog.fetchval("SELECT status FROM endpoints WHERE id = $1", endpoint) == "failed"
    assert fake.calls == []


async def test_renewal_keeps_a_long_job_from_being_taken(
    pool: asyncpg.Pool, catalog: asyncpg.Connection, redis_client: aioredis.Redis, sealer: Sealer,
    fake: FakeProvider, clock: Clock,
) -> None:
    other = Queue(pool, "w2", lease_seconds=60, clock=clock)
    stolen: list[Job | None] = []

    async def long(res: Resources, job: Job, progress: Progress) -> list[str]:
        for _ in range(3):  # 120 s of job time against a 60 s lease
            clock.advance(40)
            await asyncio.sleep(0.15)
            stolen.append(await other.claim())
        return ["finished"]

    job_id = await probe_job(catalog)
    work = runner(resources(pool, fake, sealer, redis_client, clock), clock,
                  handlers=with_probe(Handler(long)), renew_every=0.03)
    assert (await work.run_once())[0].endswith("done: finished")
    assert stolen == [None, None, None]
    assert (await job_row(catalog, job_id))["status"] == "done"


async def test_a_lost_lease_stops_the_handler(
    pool: asyncpg.Pool, catalog: asyncpg.Connection, redis_client: aioredis.Redis, sealer: Sealer,
    fake: FakeProvider, clock: Clock,
) -> None:
    other = Queue(pool, "w2", lease_seconds=60, clock=clock)
    reached_end: list[bool] = []

    async def paused(res: Resources, job: Job, progress: Progress) -> list[str]:
        clock.advance(61)  # as if this worker had been frozen past its lease
        assert await other.claim() is not None
        await asyncio.sleep(1)
        reached_end.append(True)
        return ["should not finish"]

    job_id = await probe_job(catalog)
    work = runner(resources(pool, fake, sealer, redis_client, clock), clock,
                  handlers=with_probe(Handler(paused)), renew_every=0.05)
    said = await work.run_once()
    assert said == [f"job {job_id} (probe) lost its lease to another worker; stopped"]
    assert reached_end == []
    assert (await job_row(catalog, job_id))["locked_by"] == "w2"


async def test_stopping_hands_the_job_back_unspent(
    pool: asyncpg.Pool, catalog: asyncpg.Connection, redis_client: aioredis.Redis, sealer: Sealer,
    fake: FakeProvider, clock: Clock,
) -> None:
    started = asyncio.Event()

    async def forever(res: Resources, job: Job, progress: Progress) -> list[str]:
        started.set()
        await asyncio.Event().wait()
        return []

    job_id = await probe_job(catalog)
    work = runner(resources(pool, fake, sealer, redis_client, clock), clock,
                  handlers=with_probe(Handler(forever)))
    task = asyncio.create_task(work.run_once())
    await started.wait()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    row = await job_row(catalog, job_id)
    assert (row["status"], row["attempts"], row["locked_by"]) == ("queued", 0, None)
