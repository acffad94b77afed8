"""The jobs table's one home: its vocabulary, its row, and every statement that touches it.

    kinds.py     Kind and Status, the Job row (one definition for the worker and the operator)
    outbox.py    enqueue, in the caller's transaction (the control plane's side)
    lease.py     Queue: claim with a lease, renew, finish, retry with backoff, bury (the worker's side)
    failures.py  how a failure is described (secret-free) and judged (permanent, backoff)
    operator.py  list, show, retry a dead job, depth (``berth jobs``, ``berth status``)

Kinds and payloads:

    provision        {"endpoint_id": str}
    delete_endpoint  {"endpoint_id": str}
    delete_account   {"tenant_id": str}
    reconcile        {"dry_run"?: bool, "stale_minutes"?: float}
    flush_usage      {}
    prune_jobs       {}   (the worker's own housekeeping)
    import           {"import_id": str}
    sweep_spool      {}   (the worker's own housekeeping: spool files left by interrupted uploads)
"""

from control_plane.catalog.jobs.kinds import FINISHED, WAITING, Job, Kind, Status
from control_plane.catalog.jobs.outbox import enqueue

__all__ = ["FINISHED", "WAITING", "Job", "Kind", "Status", "enqueue"]
