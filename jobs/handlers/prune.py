"""Keep the catalog bounded: finished periodic jobs go after a day, every finished job after 30, and
sign-ups never confirmed once their link has expired (the password hash they hold goes with them)."""

from __future__ import annotations

from datetime import timedelta

from control_plane.catalog.jobs import Job, Kind, operator
from control_plane.services import signups
from jobs.handlers.base import Handler, Progress, Resources

PERIODIC_KINDS = [Kind.FLUSH_USAGE.value, Kind.RECONCILE.value, Kind.PRUNE_JOBS.value, Kind.SWEEP_SPOOL.value]
PERIODIC_KEEP = timedelta(days=1)
PERIODIC_DEAD_KEEP = timedelta(days=7)
DONE_KEEP = timedelta(days=30)
BATCH = 10_000  # one pass deletes at most this many; the next pass goes on


async def prune_jobs(res: Resources, job: Job, progress: Progress) -> list[str]:
    now = res.clock()
    pruned = await operator.prune(res.pool, PERIODIC_KINDS, done_before=now - DONE_KEEP,
                                  periodic_done_before=now - PERIODIC_KEEP,
                                  periodic_dead_before=now - PERIODIC_DEAD_KEEP, batch=BATCH)
    expired = await signups.prune(res.pool, now, batch=BATCH)
    return [f"pruned {pruned} finished jobs", f"pruned {expired} expired sign-ups"]


PRUNE_JOBS = Handler(prune_jobs)
