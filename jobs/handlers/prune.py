"""Keep the jobs table bounded: finished periodic jobs go after a day, every finished job after 30."""

from __future__ import annotations

from datetime import timedelta

from control_plane.catalog.jobs import Job, Kind
from jobs.handlers.base import Handler, Progress, Resources

PERIODIC_KINDS = [Kind.FLUSH_USAGE.value, Kind.RECONCILE.value, Kind.PRUNE_JOBS.value]
PERIODIC_KEEP = timedelta(days=1)
PERIODIC_DEAD_KEEP = timedelta(days=7)
DONE_KEEP = timedelta(days=30)
BATCH = 10_000  # one pass deletes at most this many; the next pass goes on

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


async def prune_jobs(res: Resources, job: Job, progress: Progress) -> list[str]:
    now = res.clock()
    status = await res.pool.execute(PRUNE, PERIODIC_KINDS, now - DONE_KEEP, now - PERIODIC_KEEP,
                                    now - PERIODIC_DEAD_KEEP, BATCH)
    return [f"pruned {status.split()[-1]} finished jobs"]


PRUNE_JOBS = Handler(prune_jobs)
