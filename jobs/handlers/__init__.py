"""The handler for each job kind (see control_plane.catalog.queue for kinds and payloads)."""

from __future__ import annotations

from jobs.handlers.account import DELETE_ACCOUNT
from jobs.handlers.base import Handler, Progress, Resources
from jobs.handlers.endpoints import DELETE_ENDPOINT, PROVISION
from jobs.handlers.imports import IMPORT
from jobs.handlers.prune import PRUNE_JOBS
from jobs.handlers.reconcile import RECONCILE
from jobs.handlers.usage import FLUSH_USAGE

__all__ = ["HANDLERS", "Handler", "Progress", "Resources"]

HANDLERS: dict[str, Handler] = {
    "provision": PROVISION,
    "delete_endpoint": DELETE_ENDPOINT,
    "delete_account": DELETE_ACCOUNT,
    "reconcile": RECONCILE,
    "flush_usage": FLUSH_USAGE,
    "import": IMPORT,
    "prune_jobs": PRUNE_JOBS,  # the worker's own housekeeping, never enqueued by the API
}
