"""The handlers for ``import`` (load one spooled file) and ``sweep_spool`` (steps in services.import_runs)."""

from __future__ import annotations

from uuid import UUID

from control_plane.catalog.jobs import Job
from control_plane.errors import ImportGaveUp
from control_plane.imports import store
from data_plane.sqlguard import check
from jobs.handlers.base import Handler, Progress, Resources
from jobs.steps.imports import run_import, sweep_spool


def import_of(job: Job) -> UUID:
    return UUID(str(job.payload["import_id"]))


def write_guard(sql: str) -> str:
    """The gateway's write guard, which a SQL script's statements are held to as an agent's would be."""
    return check(sql, write=True).reason


async def load(res: Resources, job: Job, progress: Progress) -> list[str]:
    return [await run_import(res.pool, res.sealer, res.redis, import_of(job), write_guard)]


async def load_dead(res: Resources, job: Job, error: str) -> None:
    """A buried import job must not leave its import ``loading`` for ever."""
    reason = ImportGaveUp(f"the import could not run after {job.attempts} attempts; please try again")
    await store.failed(res.pool, import_of(job), [reason.as_json()])


async def sweep(res: Resources, job: Job, progress: Progress) -> list[str]:
    """Spool files left by uploads that died or imports that finished without removing them."""
    if res.spool is None:
        return ["no spool directory to sweep"]
    return [await sweep_spool(res.pool, res.spool, res.clock() - res.spool_grace)]


IMPORT = Handler(load, load_dead)
SWEEP_SPOOL = Handler(sweep)
