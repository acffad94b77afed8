"""The queue and imports as metrics: depth, oldest waiting job, dead jobs by kind; bytes and rows loaded."""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from control_plane.catalog.jobs import operator
from control_plane.imports import store as import_store
from control_plane.observability.metrics import Metrics

log = logging.getLogger("berth.worker")
EVERY = 15.0

async def read_once(pool: asyncpg.Pool, metrics: Metrics) -> str:
    """Set the gauges from the catalog once; returns what it saw."""
    async with pool.acquire() as conn:
        rows = await operator.depth_by_kind(conn)
        loaded = await import_store.loaded(conn)
    for gauge in (metrics.jobs_queued, metrics.jobs_oldest, metrics.jobs_dead):
        gauge.clear()  # a kind with nothing left drops out instead of keeping its last value
    for row in rows:
        metrics.jobs_queued.labels(row["kind"]).set(row["waiting"])
        metrics.jobs_oldest.labels(row["kind"]).set(float(row["oldest"]))
        metrics.jobs_dead.labels(row["kind"]).set(row["dead"])
    metrics.import_bytes.set(loaded.bytes)
    metrics.import_rows.set(loaded.rows)
    return f"{sum(r['waiting'] for r in rows)} jobs waiting, {sum(r['dead'] for r in rows)} dead"


async def report(pool: asyncpg.Pool, metrics: Metrics, every: float = EVERY) -> None:
    """Until cancelled: refresh the gauges every ``every`` seconds; a failed pass is logged and skipped."""
    while True:
        try:
            await read_once(pool, metrics)
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            log.warning("queue metrics not read: %s", type(exc).__name__)
        await asyncio.sleep(every)
