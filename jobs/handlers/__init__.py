"""The handler for each job kind (see control_plane.catalog.jobs for kinds and payloads)."""

from __future__ import annotations

from control_plane.catalog.jobs import Kind
from jobs.handlers.account import DELETE_ACCOUNT
from jobs.handlers.base import Handler, Progress, Resources
from jobs.handlers.endpoints import DELETE_ENDPOINT, PROVISION
from jobs.handlers.imports import IMPORT, SWEEP_SPOOL
from jobs.handlers.prune import PRUNE_JOBS
from jobs.handlers.reconcile import RECONCILE
from jobs.handlers.usage import FLUSH_USAGE

__all__ = ["HANDLERS", "Handler", "Progress", "Resources"]

HANDLERS: dict[str, Handler] = {
    Kind.PROVISION: PROVISION,
    Kind.DELETE_ENDPOINT: DELETE_ENDPOINT,
    Kind.DELETE_ACCOUNT: DELETE_ACCOUNT,
    Kind.RECONCILE: RECONCILE,
    Kind.FLUSH_USAGE: FLUSH_USAGE,
    Kind.IMPORT: IMPORT,
    Kind.PRUNE_JOBS: PRUNE_JOBS,  # the worker's own housekeeping, never enqueued by the API
    Kind.SWEEP_SPOOL: SWEEP_SPOOL,  # the same
}
