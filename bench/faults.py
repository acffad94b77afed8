"""`python -m bench.faults`: break what Berth depends on while it works, and say what callers saw.

Five runs, each reporting the calls' outcomes by phase and the time to
recover: Redis killed and started again under load; the catalog Postgres
stopped and started under load; an endpoint's Postgres stopped and started
under load; a worker killed in the middle of a provisioning and of an account
deletion, with a second worker left to finish the job. The catalog and the
endpoints live on two embedded Postgres servers of the run's own, Redis on a
redis-server of its own, so nothing shared is stopped. Writes bench/faults.json
and bench/FAULTS.md, and puts FAULTS.md at the end of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import redis.asyncio as aioredis

from bench.failover import cluster_run
from bench.faults_report import publish
from bench.fixture import ENDPOINT, TENANT, Fleet, bench_settings, create_catalog
from bench.outages import (
    Postgres,
    Process,
    Recorder,
    RedisServer,
    Targets,
    log_problems,
    phases,
    postgres,
    readiness,
    role,
    seconds,
    under_load,
)
from control_plane.catalog.jobs import Kind, enqueue
from control_plane.redis.counters import month_key
from jobs.handlers.usage import UPSERT, read_counters
from jobs.steps.lifecycle import provision_endpoint

OUTAGE, AFTER = float(os.environ.get("BERTH_FAULT_OUTAGE", "4")), 6.0
JOB_WAIT = 240.0  # a killed worker's job waits out its 60 s lease before another worker claims it
LOCK_WAITERS = """
SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()
"""
JOB = "SELECT status, attempts, locked_by, result, last_error FROM jobs WHERE id = $1"


async def flush(fleet: Fleet) -> dict[uuid.UUID, int]:
    counts = await read_counters(fleet.redis)
    await fleet.worker.executemany(UPSERT, counts)
    return {endpoint: calls for endpoint, _, calls in counts}


async def redis_run(fleet: Fleet, redis: RedisServer, base: str, targets: Targets) -> dict[str, Any]:
    flushed: dict[uuid.UUID, int] = {}

    async def fault(recorder: Recorder) -> dict[str, Any]:
        flushed.update(await flush(fleet))
        down = recorder.now()
        await asyncio.to_thread(redis.kill)  # in a thread: the load goes on while the server stops and starts
        await asyncio.sleep(OUTAGE)
        await asyncio.to_thread(redis.start)
        up = recorder.now()
        await asyncio.sleep(AFTER)
        return {"down": down, "up": up}

    recorder, marks = await under_load(base, targets, fault)
    month = date.today().replace(day=1)
    fresh = aioredis.from_url(redis.url)  # the fleet's own connection died with the server
    try:
        live = {e: int(await fresh.get(month_key(e, month)) or 0) for e in flushed}
    finally:
        await fresh.aclose()
    return {**phases(recorder, marks["down"], marks["up"]), **readiness(recorder, marks["down"], marks["up"]),
            "counts_flushed_before_kill": sorted(flushed.values()),
            "counts_in_redis_after": sorted(live.values()),
            "reseeded": all(live[e] >= n for e, n in flushed.items())}


async def postgres_run(server: Postgres, base: str, targets: Targets,
                       fresh: list[str], fresh_path: str) -> dict[str, Any]:
    """Stop and start ``server``; ``fresh`` tokens (never used before) are tried one at a time throughout."""
    probe = Recorder()

    async def fault(recorder: Recorder) -> dict[str, Any]:
        probe.started = recorder.started
        down = recorder.now()
        await asyncio.to_thread(server.stop)
        trying = asyncio.create_task(_fresh(probe, base, fresh_path, fresh))
        await asyncio.sleep(OUTAGE)
        await asyncio.to_thread(server.start)
        up = recorder.now()
        await asyncio.sleep(AFTER)
        trying.cancel()
        await asyncio.gather(trying, return_exceptions=True)
        return {"down": down, "up": up}

    recorder, marks = await under_load(base, targets, fault)
    down, up = marks["down"], marks["up"]
    first_fresh = next((at for at, outcome in probe.calls if at >= up and outcome == "200"), None)
    return {**phases(recorder, down, up), **readiness(recorder, down, up),
            "new_tokens_during": probe.outcomes(down, up),
            "new_tokens_after": probe.outcomes(up, float("inf")),
            "new_token_served_after_restart_s": seconds(None if first_fresh is None else first_fresh - up)}


async def _fresh(probe: Recorder, base: str, path: str, tokens: list[str]) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        for token in tokens:
            await probe.call(http, path, token)
            await asyncio.sleep(0.25)


async def worker_run(fleet: Fleet, catalog_url: str, kind: Kind) -> dict[str, Any]:
    """Two workers; the one that claims the job is killed while the job waits on a row lock held here."""
    workers = [role(fleet.settings, "worker"), role(fleet.settings, "worker")]
    for worker in workers:
        worker.start()
    lock = await asyncpg.connect(catalog_url)
    try:
        payload, blocked, tenant_id = await _prepare(fleet, kind)
        held = lock.transaction()
        await held.start()
        await lock.execute("SELECT 1 FROM endpoints WHERE id = $1 FOR UPDATE", blocked)
        async with fleet.worker.acquire() as conn:
            job_id = await enqueue(conn, kind, payload, tenant_id=tenant_id)
        holder = await _blocked_holder(fleet, lock, job_id, workers)
        killed = time.monotonic()
        holder.process.kill()  # type: ignore[union-attr]
        row = await fleet.worker.fetchrow(JOB, job_id)
        await held.rollback()
        done = await _finished(fleet, job_id)
        return {"job": kind.value, "state_when_killed": row["result"], "status": done["status"],
                "attempts": done["attempts"], "finished_after_kill_s": round(time.monotonic() - killed, 1),
                "finished_by_the_other_worker": done["status"] == "done", "said": done["result"]}
    finally:
        await lock.close()
        for worker in workers:
            worker.stop()


async def _prepare(fleet: Fleet, kind: Kind) -> tuple[dict[str, Any], uuid.UUID, uuid.UUID]:
    """The job's payload, the endpoint row whose lock stops it half-way, and the job's tenant."""
    if kind is Kind.PROVISION:
        endpoint_id = uuid.uuid4()
        await fleet.catalog.execute(ENDPOINT, endpoint_id, fleet.tenant_id, f"kill-{endpoint_id.hex[:10]}")
        # blocks after CREATE DATABASE, before the database is recorded
        return {"endpoint_id": str(endpoint_id)}, endpoint_id, fleet.tenant_id
    tenant_id = uuid.uuid4()
    await fleet.catalog.execute(TENANT, tenant_id)
    made = []
    for _ in range(3):
        endpoint_id = uuid.uuid4()
        await fleet.catalog.execute(ENDPOINT, endpoint_id, tenant_id, f"gone-{endpoint_id.hex[:10]}")
        await provision_endpoint(fleet.worker, fleet.provider, fleet.sealer, fleet.redis, endpoint_id)
        made.append(endpoint_id)
    return {"tenant_id": str(tenant_id)}, made[1], tenant_id  # blocks after the first endpoint is torn down


async def _blocked_holder(fleet: Fleet, lock: asyncpg.Connection, job_id: int,
                          workers: list[Process]) -> Process:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        row = await fleet.worker.fetchrow(JOB, job_id)
        if row["status"] == "running" and await lock.fetchval(LOCK_WAITERS):
            pid = int(str(row["locked_by"]).split(":")[1])
            return next(w for w in workers if w.process is not None and w.process.pid == pid)
        await asyncio.sleep(0.05)
    raise RuntimeError(f"job {job_id} never reached the lock")


async def _finished(fleet: Fleet, job_id: int) -> asyncpg.Record:
    deadline = time.monotonic() + JOB_WAIT
    while time.monotonic() < deadline:
        row = await fleet.worker.fetchrow(JOB, job_id)
        if row["status"] in ("done", "dead"):
            return row
        await asyncio.sleep(0.5)
    raise RuntimeError(f"job {job_id} not finished within {JOB_WAIT:.0f} s")


RUNS = ("redis", "endpoint_postgres", "worker", "redis_cluster", "catalog_postgres")


async def run(scratch: Path, only: set[str]) -> dict[str, Any]:
    with postgres(scratch / "catalog") as catalog_pg, postgres(scratch / "fleet") as fleet_pg:
        redis = RedisServer(scratch / "redis")
        redis.start()
        try:
            return await _runs(scratch, catalog_pg, fleet_pg, redis, only)
        finally:
            redis.kill()


async def _runs(scratch: Path, catalog_pg: Postgres, fleet_pg: Postgres,
                redis: RedisServer, only: set[str]) -> dict[str, Any]:
    catalog_url = await create_catalog(catalog_pg.url)
    settings = bench_settings(catalog_url, redis.url, fleet_pg.url, scratch)
    fleet = await Fleet.open(settings, connection_limit=100)
    hot = [(await fleet.provision("hot"))[0] for _ in range(2)]
    targets = [(t.path, t.token) for t in hot]
    gateway = role(settings, "gateway")
    gateway.start()
    base, results = f"http://127.0.0.1:{gateway.port}", {}
    try:
        if "redis" in only:
            print("redis killed and started again under load", flush=True)
            results["redis"] = await redis_run(fleet, redis, base, targets)
        if "endpoint_postgres" in only:
            print("an endpoint's Postgres restarted under load", flush=True)
            results["endpoint_postgres"] = await postgres_run(fleet_pg, base, targets, [], hot[0].path)
        for kind in (Kind.PROVISION, Kind.DELETE_ACCOUNT) if "worker" in only else ():
            print(f"a worker killed in the middle of {kind.value}", flush=True)
            results[f"worker_{kind.value}"] = await worker_run(fleet, catalog_url, kind)
        if "redis_cluster" in only:
            print("a Redis Cluster master killed under load", flush=True)
            log = scratch / "cluster-gateway.log"
            results["redis_cluster"] = {**await cluster_run(fleet, targets, scratch, log),
                                        "gateway_log": log_problems(log)}
        if "catalog_postgres" in only:
            fresh = await fleet.issue([hot[0].endpoint_id] * 60)
            print("the catalog restarted under load", flush=True)
            results["catalog_postgres"] = await postgres_run(catalog_pg, base, targets, fresh, hot[0].path)
    finally:
        gateway.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", choices=RUNS, default=list(RUNS),
                        help="some runs only: their figures are printed, FAULTS.md is left as it was")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="berth-faults-") as tmp:
        results = asyncio.run(run(Path(tmp), set(args.only)))
    results["run_seconds"] = round(time.monotonic() - started, 1)
    where = Path(__file__).parent
    figures = orjson.dumps(results, option=orjson.OPT_INDENT_2, default=str)
    if set(args.only) != set(RUNS):
        print(figures.decode())
        return
    (where / "faults.json").write_bytes(figures + b"\n")
    print(publish(results, where))


if __name__ == "__main__":
    main()
