"""One pass of a worker: claim a job, run its handler under a renewed lease, record how it ended."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from control_plane.catalog.jobs import Job
from control_plane.catalog.jobs.failures import Deferred, PermanentJobError, describe
from control_plane.catalog.jobs.lease import ABANDONED_ERROR, Queue
from jobs.handlers import HANDLERS, Handler, Resources


class LeaseLost(Exception):
    """Another worker took the job after this one's lease ran out."""


class Runner:
    """Runs one job at a time; renews its lease every ``renew_every`` seconds while the handler works."""

    def __init__(self, queue: Queue, resources: Resources, handlers: Mapping[str, Handler] = HANDLERS,
                 *, renew_every: float | None = None) -> None:
        self.queue = queue
        self.resources = resources
        self.handlers = handlers
        self.renew_every = renew_every if renew_every is not None else queue.lease.total_seconds() / 3

    async def run_once(self) -> list[str]:
        """Bury abandoned jobs, then run the next due job; sentences say what happened (none: idle)."""
        said = [await self._bury(job) for job in await self.queue.bury_abandoned()]
        job = await self.queue.claim()
        if job is not None:
            said.append(await self._run(job))
        return said

    async def _bury(self, job: Job) -> str:
        await self._settle_dead(job, ABANDONED_ERROR)
        return f"job {job.id} ({job.kind}) is dead: {ABANDONED_ERROR}"

    async def _settle_dead(self, job: Job, error: str) -> None:
        handler = self.handlers.get(job.kind)
        if handler is not None and handler.on_dead is not None:
            await handler.on_dead(self.resources, job, error)

    async def _run(self, job: Job) -> str:
        shown: dict[str, Any] = dict(job.result or {})

        async def progress(result: dict[str, Any]) -> None:
            shown.update(result)
            await self.queue.progress(job, shown)

        handler = self.handlers.get(job.kind)
        try:
            if handler is None:
                raise PermanentJobError(f"no handler for job kind {job.kind!r}")
            said = await self._supervise(job, asyncio.create_task(handler.run(self.resources, job, progress)))
        except asyncio.CancelledError:
            await self.queue.release(job)  # the worker is stopping: another may take it at once
            raise
        except LeaseLost:
            return f"job {job.id} ({job.kind}) lost its lease to another worker; stopped"
        except Deferred as wait:
            if not await self.queue.defer(job, wait.seconds):
                return f"job {job.id} ({job.kind}) waited after its lease ran out; another worker has it"
            return f"job {job.id} ({job.kind}) waits {wait.seconds:g} s: {wait}"
        except Exception as exc:
            return await self._failed(job, exc)
        if not await self.queue.complete(job, {**shown, "said": said}):
            return f"job {job.id} ({job.kind}) finished after its lease ran out; another worker has it"
        return f"job {job.id} ({job.kind}) done: " + "; ".join(said)

    async def _supervise(self, job: Job, task: asyncio.Task[list[str]]) -> list[str]:
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=self.renew_every)
                if done:
                    return task.result()
                if not await self.queue.renew(job):
                    raise LeaseLost()
        except BaseException:
            # Lease lost, or the worker is stopping: the handler must not run on unsupervised.
            await _cancel(task)
            raise

    async def _failed(self, job: Job, exc: Exception) -> str:
        outcome = await self.queue.fail(job, exc)
        if outcome == "dead":
            await self._settle_dead(job, describe(exc))
        return (f"job {job.id} ({job.kind}) attempt {job.attempts}/{job.max_attempts} failed "
                f"({describe(exc)}): {'will retry' if outcome == 'retry' else outcome}")


async def _cancel(task: asyncio.Task[list[str]]) -> None:
    if task.done():
        return
    task.cancel()
    try:
        await task
    except BaseException:  # noqa: BLE001 - whatever the cancelled handler raised, it is over
        return
