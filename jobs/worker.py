"""The worker loop, run as `berth serve worker` or inside `berth dev`.

Each pass runs at most one job and logs what it did; a failing pass is logged
and the loop goes on. Idle workers sleep until a job is enqueued (LISTEN on the
``berth_jobs`` channel, fed by a trigger on ``jobs``) or the poll interval
passes. The worker also enqueues the periodic jobs (usage flush, reconcile);
``enqueue_once`` keeps several workers from piling them up.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from datetime import timedelta
from typing import Any

import asyncpg

from control_plane.catalog.db import create_pool
from control_plane.catalog.installation import installation_id
from control_plane.catalog.jobs import Kind
from control_plane.catalog.jobs.failures import describe
from control_plane.catalog.jobs.lease import Queue, utc_now
from control_plane.imports.spool import spool_dir
from control_plane.observability.metrics import Metrics
from control_plane.providers.factory import build_provider
from control_plane.providers.measured import measured
from control_plane.redis import connect as redis_connect
from control_plane.sealing import Sealer
from control_plane.settings import Process, Settings
from jobs import stats
from jobs.handlers import Resources
from jobs.runner import Runner

log = logging.getLogger("berth.worker")

WAKE_CHANNEL = "berth_jobs"
PERIODIC: Mapping[Kind, float] = {Kind.FLUSH_USAGE: 30.0, Kind.RECONCILE: 300.0, Kind.PRUNE_JOBS: 3600.0,
                                  Kind.SWEEP_SPOOL: 600.0}
POLL_SECONDS = 1.0
STOP_GRACE_SECONDS = 10.0


class Worker:
    """Passes until ``stop`` is set; the pass in progress finishes (or is cancelled by the caller)."""

    def __init__(self, runner: Runner, *, wake: asyncio.Event | None = None,
                 poll_seconds: float = POLL_SECONDS, periodic: Mapping[Kind, float] = PERIODIC,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.runner = runner
        self.wake = wake or asyncio.Event()
        self.poll_seconds = poll_seconds
        self.periodic = periodic
        self.monotonic = monotonic
        self.next_due: dict[str, float] = {}

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            ran = await self.run_pass()
            if not ran and not stop.is_set():
                with suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), self.poll_seconds)
                self.wake.clear()

    async def run_pass(self) -> bool:
        """One pass; True when it did something (so the loop goes on without waiting)."""
        try:
            await self._enqueue_due()
            said = await self.runner.run_once()
        except Exception as exc:
            log.error("worker pass failed: %s", describe(exc))
            return False
        for sentence in said:
            log.info("%s", sentence)
        return bool(said)

    async def _enqueue_due(self) -> None:
        now = self.monotonic()
        for kind, every in self.periodic.items():
            # The first run waits one interval: a worker that restarts in a loop must not reap in a loop.
            if now >= self.next_due.setdefault(kind, now + every):
                await self.runner.queue.enqueue_once(kind, {})
                self.next_due[kind] = now + every


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@asynccontextmanager
async def listening(pool: asyncpg.Pool, wake: asyncio.Event) -> AsyncIterator[None]:
    """Set ``wake`` whenever a job is enqueued, for the duration of the block."""
    def notified(*_: Any) -> None:
        wake.set()

    async with pool.acquire() as conn:
        await conn.add_listener(WAKE_CHANNEL, notified)
        try:
            yield None
        finally:
            await conn.remove_listener(WAKE_CHANNEL, notified)


async def stop_within(task: asyncio.Task[None], grace: float) -> None:
    """Let the current pass finish for ``grace`` seconds, then cancel it (its job is handed back)."""
    done, _ = await asyncio.wait({task}, timeout=grace)
    if not done:
        task.cancel()
    with suppress(asyncio.CancelledError):
        await task


@asynccontextmanager
async def running(settings: Settings, *, periodic: Mapping[Kind, float] = PERIODIC,
                  metrics: Metrics | None = None) -> AsyncIterator[None]:
    """Run the worker in the background for the duration of the block (and its queue metrics, if given)."""
    settings.require(Process.WORKER)
    sealer = Sealer.from_setting(settings.seal_keys_value)  # a bad key refuses before anything opens
    async with AsyncExitStack() as stack:
        pool = await create_pool(settings.database_url_value, "berth_worker", min_size=1, max_size=4)
        stack.push_async_callback(pool.close)
        redis = redis_connect.connect(settings.redis_url_value)
        stack.push_async_callback(redis.aclose)
        provider = measured(build_provider(settings, installation=await installation_id(pool)), metrics)
        stack.push_async_callback(provider.aclose)
        wake = asyncio.Event()
        await stack.enter_async_context(listening(pool, wake))
        resources = Resources(pool, provider, sealer, redis, utc_now,
                              orphan_grace=timedelta(hours=settings.orphan_grace_hours),
                              spool=spool_dir(settings.data_dir))
        worker = Worker(Runner(Queue(pool, worker_id()), resources), wake=wake, periodic=periodic)
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop))
        if metrics is not None:
            reporting = asyncio.create_task(stats.report(pool, metrics))
            stack.callback(reporting.cancel)
        try:
            yield None
        finally:
            stop.set()
            wake.set()
            await stop_within(task, STOP_GRACE_SECONDS)
