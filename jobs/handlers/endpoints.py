"""Handlers for one endpoint: provision it, delete it (steps in jobs.steps.lifecycle)."""

from __future__ import annotations

from control_plane.catalog.jobs import Job
from jobs.handlers.base import Handler, Progress, Resources, endpoint_of
from jobs.steps.lifecycle import mark_failed, provision_endpoint, teardown_endpoint


async def provision(res: Resources, job: Job, progress: Progress) -> list[str]:
    return [await provision_endpoint(res.pool, res.provider, res.sealer, res.redis, endpoint_of(job))]


async def provision_dead(res: Resources, job: Job, error: str) -> None:
    """A buried provision job must not leave its endpoint ``provisioning`` for ever."""
    reason = f"the database could not be created after {job.attempts} attempts; please try again later"
    await mark_failed(res.pool, endpoint_of(job), reason)


async def delete_endpoint(res: Resources, job: Job, progress: Progress) -> list[str]:
    return [await teardown_endpoint(res.pool, res.provider, res.redis, endpoint_of(job))]


PROVISION = Handler(provision, provision_dead)
DELETE_ENDPOINT = Handler(delete_endpoint)
