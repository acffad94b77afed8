"""The operator's view of the job queue: list, show, retry a dead job, queue depth; on ``berth_worker``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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
# Per kind, for the worker's gauges: jobs on the way, how long the oldest due one has waited, dead ones.
DEPTH_BY_KIND = """
SELECT kind,
       count(*) FILTER (WHERE status IN ('queued', 'running')) AS waiting,
       coalesce(extract(epoch FROM now() - min(run_at) FILTER (WHERE status = 'queued' AND run_at <= now())),
                0) AS oldest,
       count(*) FILTER (WHERE status = 'dead') AS dead
FROM jobs WHERE status <> 'done' GROUP BY kind
"""
# Finished jobs older than their keep ($2: any kind, $3: the periodic kinds $1, $4: dead periodic ones).
# Dead jobs of other kinds stay until an operator retries them: they say what is still wrong.
PRUNE = """
DELETE FROM jobs WHERE id IN (
  SELECT id FROM jobs
  WHERE (status = 'done' AND updated_at < $2)
     OR (kind = ANY($1::text[]) AND status = 'done' AND updated_at < $3)
     OR (kind = ANY($1::text[]) AND status = 'dead' AND updated_at < $4)
  LIMIT $5
)
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


async def depth_by_kind(conn: asyncpg.Connection | asyncpg.Pool) -> list[asyncpg.Record]:
    """Rows of (kind, waiting, oldest, dead) for every kind with an unfinished job."""
    return list(await conn.fetch(DEPTH_BY_KIND))


async def prune(pool: asyncpg.Pool, periodic: list[str], *, done_before: datetime,
                periodic_done_before: datetime, periodic_dead_before: datetime, batch: int) -> int:
    """Delete at most ``batch`` finished jobs past their keep; how many went."""
    status = await pool.execute(PRUNE, periodic, done_before, periodic_done_before, periodic_dead_before,
                                batch)
    return int(status.split()[-1])


async def request(pool: asyncpg.Pool, kind: Kind, payload: dict[str, Any] | None = None) -> int:
    """Enqueue an operator-requested job (e.g. ``reconcile`` with ``{"dry_run": true}``); its id."""
    async with pool.acquire() as conn, conn.transaction():
        return await enqueue(conn, kind, payload or {})
