"""What a job is: its kind, its status, and the row both the worker and the operator read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID


class Kind(StrEnum):
    """What a job does; the worker registers one handler per kind."""

    PROVISION = "provision"
    DELETE_ENDPOINT = "delete_endpoint"
    DELETE_ACCOUNT = "delete_account"
    RECONCILE = "reconcile"
    FLUSH_USAGE = "flush_usage"
    PRUNE_JOBS = "prune_jobs"
    IMPORT = "import"
    SWEEP_SPOOL = "sweep_spool"


class Status(StrEnum):
    """Where a job is in its life (the ``status`` column of ``jobs``)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


# A job on the way: waiting for its time or a worker, or being worked on (perhaps by a worker now dead).
WAITING = (Status.QUEUED, Status.RUNNING)
# A job that will not run again unless an operator retries it.
FINISHED = (Status.DONE, Status.DEAD)


# Every column, in the order of Job's fields: what each statement returning a job selects.
COLUMNS = """id, tenant_id, kind, payload, status, attempts, max_attempts, run_at, locked_by, locked_until,
  last_error, result, created_at, updated_at"""


@dataclass(frozen=True)
class Job:
    """One row of ``jobs``; ``last_error`` is already free of secrets."""

    id: int
    tenant_id: UUID | None
    kind: str
    payload: dict[str, Any]
    status: str
    attempts: int
    max_attempts: int
    run_at: datetime
    locked_by: str | None
    locked_until: datetime | None
    last_error: str | None
    result: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
