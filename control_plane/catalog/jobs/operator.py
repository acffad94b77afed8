"""The operator's view of the job queue: list, show, retry a dead job, queue depth; on ``berth_worker``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from control_plane.catalog.jobs.kinds import COLUMNS, Job, Kind
from control_plane.catalog.jobs.outbox import enqueue
from control_plane.errors import Conflict, NotFound

LIST = f"""
SELECT {COLUMNS} FROM jobs
WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR kind = $2)
ORDER BY id DESC LIMIT $3
"""
SHOW = f"SELECT {COLUMNS} FROM jobs WHERE id = $1"
RETRY = f"""
UPDATE jobs SET status = 'queued', attempts = 0, run_at = now(), locked_by = NULL, locked_until = NULL,
  updated_at = now()
WHERE id = $1 AND status = 'dead' RETURNING {COLUMNS}
"""
DEPTH = """
SELECT count(*) FILTER (WHERE status = 'queued') AS queued,
       count(*) FILTER (WHERE status = 'queued' AND run_at <= now()) AS due,
       count(*) FILTER (WHERE status = 'running') AS running,
       count(*) FILTER (WHERE status = 'dead') AS dead,
       coalesce(extract(epoch FROM now() - min(run_at)
                FILTER (WHERE status = 'queued' AND run_at <= now())), 0) AS oldest_due_seconds
FROM jobs
"""
MAX_LIST = 500


@dataclass(frozen=True)
class QueueDepth:
    queued: int
    due: int
    running: int
    dead: int
    oldest_due_seconds: float


async def list_jobs(pool: asyncpg.Pool, *, status: str | None = None, kind: str | None = None,
                    limit: int = 50) -> list[Job]:
    """Newest first; ``limit`` is capped at 500."""
    rows = await pool.fetch(LIST, status, kind, max(1, min(limit, MAX_LIST)))
    return [Job(**dict(row)) for row in rows]


async def show(pool: asyncpg.Pool, job_id: int) -> Job:
    row = await pool.fetchrow(SHOW, job_id)
    if row is None:
        raise NotFound(f"no job {job_id}")
    return Job(**dict(row))


async def retry(pool: asyncpg.Pool, job_id: int) -> Job:
    """A dead job back to ``queued``, due now, attempts reset; any other state is a conflict."""
    row = await pool.fetchrow(RETRY, job_id)
    if row is None:
        current = await show(pool, job_id)
        raise Conflict(f"job {job_id} is {current.status}; only a dead job can be retried")
    return Job(**dict(row))


async def depth(pool: asyncpg.Pool) -> QueueDepth:
    row = await pool.fetchrow(DEPTH)
    return QueueDepth(row["queued"], row["due"], row["running"], row["dead"],
                      float(row["oldest_due_seconds"]))


async def request(pool: asyncpg.Pool, kind: Kind, payload: dict[str, Any] | None = None) -> int:
    """Enqueue an operator-requested job (e.g. ``reconcile`` with ``{"dry_run": true}``); its id."""
    async with pool.acquire() as conn, conn.transaction():
        return await enqueue(conn, kind, payload or {})
