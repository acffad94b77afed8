"""The worker's side of the jobs table: claim with a lease, renew it, finish, retry with backoff, bury.

A claim is ``FOR UPDATE SKIP LOCKED`` on a queued job that is due, or on a
running job whose lease ran out (its worker died). Every later write names the
claim (job id, worker id and attempt number), so a worker that lost its lease
can no longer touch the job another worker now holds. Attempts count claims,
so a job that kills its worker each time still reaches ``dead``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import asyncpg

from control_plane.catalog.jobs.failures import backoff, describe, is_permanent
from control_plane.catalog.jobs.kinds import COLUMNS, Job, Kind

Clock = Callable[[], datetime]
CLAIMED = ", ".join(f"j.{column.strip()}" for column in COLUMNS.split(","))

CLAIM = f"""
WITH next AS (
  SELECT id FROM jobs
  WHERE (status = 'queued' AND run_at <= $1)
     OR (status = 'running' AND locked_until < $1 AND attempts < max_attempts)
  ORDER BY run_at, id
  LIMIT 1
  FOR UPDATE SKIP LOCKED
)
UPDATE jobs j SET status = 'running', locked_by = $2, locked_until = $3,
  attempts = j.attempts + 1, updated_at = $1
FROM next WHERE j.id = next.id
RETURNING {CLAIMED}
"""
MINE = "id = $1 AND locked_by = $2 AND attempts = $3 AND status = 'running'"
RENEW = f"UPDATE jobs SET locked_until = $4, updated_at = $5 WHERE {MINE}"
PROGRESS = f"UPDATE jobs SET result = $4, updated_at = now() WHERE {MINE}"
DONE = f"""
UPDATE jobs SET status = 'done', result = $4, locked_by = NULL, locked_until = NULL,
  last_error = NULL, updated_at = $5
WHERE {MINE}
"""
RETRY = f"""
UPDATE jobs SET status = 'queued', run_at = $4, last_error = $5, locked_by = NULL,
  locked_until = NULL, updated_at = $6
WHERE {MINE}
"""
DEAD = f"""
UPDATE jobs SET status = 'dead', last_error = $4, locked_by = NULL, locked_until = NULL, updated_at = $5
WHERE {MINE}
"""
# Handing back an unfinished job on shutdown is not a failed attempt.
RELEASE = f"""
UPDATE jobs SET status = 'queued', attempts = attempts - 1, locked_by = NULL, locked_until = NULL,
  run_at = $4, updated_at = $4
WHERE {MINE}
"""
# Not ready to run yet: back in the queue for later, the attempt handed back (see Deferred).
DEFER = f"""
UPDATE jobs SET status = 'queued', attempts = attempts - 1, locked_by = NULL, locked_until = NULL,
  run_at = $4, updated_at = $5
WHERE {MINE}
"""
# Workers died holding it on its last allowed try: it will not be run again.
ABANDONED = f"""
UPDATE jobs SET status = 'dead', last_error = $2, locked_by = NULL, locked_until = NULL, updated_at = $1
WHERE status = 'running' AND locked_until < $1 AND attempts >= max_attempts
RETURNING {COLUMNS}
"""
ABANDONED_ERROR = "the worker running it stopped before finishing, on every allowed attempt"
ENQUEUE_ONCE = """
INSERT INTO jobs (kind, payload, run_at, max_attempts)
SELECT $1, $2, $3, 3
WHERE NOT EXISTS (SELECT FROM jobs WHERE kind = $1 AND status IN ('queued', 'running'))
RETURNING id
"""

Outcome = Literal["done", "retry", "dead", "lost"]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Queue:
    """One worker's handle on the queue; ``clock`` and ``rand`` are injected for tests."""

    def __init__(self, pool: asyncpg.Pool, worker_id: str, *, lease_seconds: float = 60.0,
                 clock: Clock = utc_now, rand: Callable[[], float] = random.random) -> None:
        self.pool = pool
        self.worker_id = worker_id
        self.lease = timedelta(seconds=lease_seconds)
        self.clock = clock
        self.rand = rand

    async def claim(self) -> Job | None:
        """The next due job, now leased to this worker; None when nothing is due."""
        now = self.clock()
        row = await self.pool.fetchrow(CLAIM, now, self.worker_id, now + self.lease)
        return Job(**dict(row)) if row is not None else None

    async def _mine(self, sql: str, job: Job, *args: object) -> bool:
        status: str = await self.pool.execute(sql, job.id, self.worker_id, job.attempts, *args)
        return status.endswith(" 1")

    async def renew(self, job: Job) -> bool:
        """Extend the lease; False when the job is no longer this worker's."""
        now = self.clock()
        return await self._mine(RENEW, job, now + self.lease, now)

    async def progress(self, job: Job, result: dict[str, Any]) -> bool:
        """Show how far a long job got (``berth jobs show``)."""
        return await self._mine(PROGRESS, job, result)

    async def complete(self, job: Job, result: dict[str, Any]) -> bool:
        return await self._mine(DONE, job, result, self.clock())

    async def fail(self, job: Job, exc: BaseException) -> Outcome:
        """Record the error; retry later with backoff, or bury the job when retrying cannot help."""
        error, now = describe(exc), self.clock()
        if is_permanent(exc) or job.attempts >= job.max_attempts:
            return "dead" if await self._mine(DEAD, job, error, now) else "lost"
        run_at = now + timedelta(seconds=backoff(job.attempts, self.rand))
        return "retry" if await self._mine(RETRY, job, run_at, error, now) else "lost"

    async def release(self, job: Job) -> bool:
        """Hand an unfinished job back for another worker to take at once."""
        return await self._mine(RELEASE, job, self.clock())

    async def defer(self, job: Job, seconds: float) -> bool:
        """Hand the job back to run again in ``seconds``, without counting this attempt."""
        now = self.clock()
        return await self._mine(DEFER, job, now + timedelta(seconds=seconds), now)

    async def bury_abandoned(self) -> list[Job]:
        """Mark dead the jobs whose workers died on their last allowed attempt."""
        rows = await self.pool.fetch(ABANDONED, self.clock(), ABANDONED_ERROR)
        return [Job(**dict(row)) for row in rows]

    async def enqueue_once(self, kind: Kind, payload: dict[str, Any]) -> int | None:
        """Enqueue a periodic job unless one of that kind is already waiting or running."""
        job_id: int | None = await self.pool.fetchval(ENQUEUE_ONCE, Kind(kind).value, payload, self.clock())
        return job_id
