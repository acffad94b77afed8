"""Reconcile the provider with the catalog: orphans are quarantined then dropped, vanished databases fail
their endpoint, stuck provisioning and deletions are retried. Only databases labelled as this
installation's are ever touched. One reconciler at a time (advisory lock); a pass returns sentences."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from control_plane.catalog import endpoints
from control_plane.catalog.endpoints import EndpointStatus
from control_plane.catalog.jobs import WAITING, Job, Kind, enqueue
from control_plane.catalog.tenants import TenantStatus
from control_plane.providers.base import Ownership
from control_plane.redis.invalidation import endpoint_message, publish
from control_plane.services import audit
from jobs.handlers.base import Handler, Progress, Resources
from jobs.handlers.quarantine import orphans, strangers

RECONCILE_LOCK = 7_312_024_003
STALE_AFTER = timedelta(minutes=15)
VANISHED_REASON = "the endpoint's database no longer exists at the provider"

TRY_LOCK = "SELECT pg_try_advisory_lock($1)"
UNLOCK = "SELECT pg_advisory_unlock($1)"
LIVE = "SELECT id, provider_ref FROM endpoints WHERE status = ANY($1::text[])"
READY = "SELECT id, provider_ref FROM endpoints WHERE status = $1 AND provider_ref IS NOT NULL"
# An endpoint left half-way (its job lost or buried) gets a new job, unless its own job or its
# account's deletion job is still on the way ($4: the statuses of a job on the way).
STUCK = """
SELECT e.id, e.tenant_id FROM endpoints e
WHERE e.status = $2 AND e.updated_at < $1
  AND NOT EXISTS (SELECT FROM jobs j WHERE j.status = ANY($4::text[])
                  AND ((j.kind = $3 AND j.payload->>'endpoint_id' = e.id::text)
                       OR (j.kind = $5 AND j.tenant_id = e.tenant_id)))
ORDER BY e.updated_at LIMIT 100
"""
STUCK_KINDS: tuple[tuple[EndpointStatus, Kind], ...] = (
    (EndpointStatus.PROVISIONING, Kind.PROVISION), (EndpointStatus.DELETING, Kind.DELETE_ENDPOINT))
# An account deletion whose job died (or was lost) is taken up again: deleting is never an end state.
STUCK_ACCOUNTS = """
SELECT t.id FROM tenants t
WHERE t.status = $2 AND coalesce(t.deleted_at, t.created_at) < $1
  AND NOT EXISTS (SELECT FROM jobs j WHERE j.kind = $3 AND j.tenant_id = t.id
                  AND j.status = ANY($4::text[]))
ORDER BY t.deleted_at LIMIT 100
"""
# Every endpoint still holding (or about to hold) a database: reconcile must not call it an orphan.
HOLDING = [EndpointStatus.PROVISIONING, EndpointStatus.READY, EndpointStatus.DELETING]


async def reconcile(res: Resources, *, dry_run: bool = False,
                    stale_after: timedelta = STALE_AFTER) -> list[str]:
    """One pass; with ``dry_run`` it only says what it would do."""
    async with res.pool.acquire() as lock:
        if not await lock.fetchval(TRY_LOCK, RECONCILE_LOCK):
            return ["another reconciler is running; this pass skipped"]
        try:
            databases = await res.provider.list_databases()
            rows = await res.pool.fetch(LIVE, HOLDING)
            live = {row["provider_ref"]: row["id"] for row in rows if row["provider_ref"]}
            # A create that has not yet recorded its ref is known by the endpoint id in the label.
            live_ids = {row["id"] for row in rows}
            ours = [d for d in databases if d.owner is Ownership.OURS]
            said = await strangers(res, databases, live, dry_run)
            said += await orphans(res, ours, live, live_ids, dry_run)
            said += await _vanished(res, {d.ref for d in databases}, dry_run)
            # Accounts first: a re-enqueued account deletion covers its endpoints too.
            said += await _stuck_accounts(res, stale_after, dry_run)
            said += await _stuck(res, stale_after, dry_run)
        finally:
            await lock.fetchval(UNLOCK, RECONCILE_LOCK)
    return said or ["provider and catalog agree"]


async def _vanished(res: Resources, present: set[str], dry_run: bool) -> list[str]:
    said = []
    for row in await res.pool.fetch(READY, EndpointStatus.READY):
        ref, endpoint_id = row["provider_ref"], row["id"]
        # The listing may lag a create; ask for the one database before failing its endpoint.
        if ref in present or await res.provider.get_database(ref) is not None:
            continue
        if not dry_run and not await _fail_vanished(res, endpoint_id, ref):
            continue
        said.append(f"endpoint {endpoint_id} {'would be' if dry_run else 'is now'} failed: "
                    f"its database {ref} vanished")
    return said


async def _fail_vanished(res: Resources, endpoint_id: UUID, ref: str) -> bool:
    async with res.pool.acquire() as conn, conn.transaction():
        tenant_id = await endpoints.mark_failed(conn, endpoint_id, VANISHED_REASON, vanished=True)
        if tenant_id is not None:
            await audit.write(conn, tenant_id, "system", "endpoint.failed", ref, outcome="error",
                              endpoint_id=endpoint_id, detail={"reason": VANISHED_REASON})
    await publish(res.redis, endpoint_message(endpoint_id))
    return tenant_id is not None


async def _stuck(res: Resources, stale_after: timedelta, dry_run: bool) -> list[str]:
    said = []
    for status, kind in STUCK_KINDS:
        for row in await res.pool.fetch(STUCK, res.clock() - stale_after, status, kind, WAITING,
                                        Kind.DELETE_ACCOUNT):
            if not dry_run:
                async with res.pool.acquire() as conn, conn.transaction():
                    await enqueue(conn, kind, {"endpoint_id": str(row["id"])}, tenant_id=row["tenant_id"])
            done = "would re-enqueue" if dry_run else "re-enqueued"
            said.append(f"endpoint {row['id']} stuck {status}: {done} {kind}")
    return said


async def _stuck_accounts(res: Resources, stale_after: timedelta, dry_run: bool) -> list[str]:
    said = []
    for row in await res.pool.fetch(STUCK_ACCOUNTS, res.clock() - stale_after, TenantStatus.DELETING,
                                    Kind.DELETE_ACCOUNT, WAITING):
        if not dry_run:
            async with res.pool.acquire() as conn, conn.transaction():
                await enqueue(conn, Kind.DELETE_ACCOUNT, {"tenant_id": str(row["id"])}, tenant_id=row["id"])
        said.append(f"account {row['id']} stuck deleting: {'would re-enqueue' if dry_run else 're-enqueued'} "
                    "delete_account")
    return said


# $2 and $3: a tenant's and an endpoint's deleting; $4 and $5 the two deletion kinds; $6 a job on the way.
STUCK_DELETIONS = """
SELECT 'account ' || t.id AS what FROM tenants t
WHERE t.status = $2 AND coalesce(t.deleted_at, t.created_at) < $1
  AND NOT EXISTS (SELECT FROM jobs j WHERE j.kind = $5 AND j.tenant_id = t.id
                  AND j.status = ANY($6::text[]))
UNION ALL
SELECT 'endpoint ' || e.id FROM endpoints e
WHERE e.status = $3 AND e.updated_at < $1
  AND NOT EXISTS (SELECT FROM jobs j WHERE j.status = ANY($6::text[])
                  AND ((j.kind = $4 AND j.payload->>'endpoint_id' = e.id::text)
                       OR (j.kind = $5 AND j.tenant_id = e.tenant_id)))
ORDER BY 1 LIMIT 20
"""


async def stuck_deletions(pool: asyncpg.Pool, now: datetime,
                          stale_after: timedelta = STALE_AFTER) -> list[str]:
    """Deletions with no job on the way (the next reconcile pass takes them up), for ``berth status``."""
    rows = await pool.fetch(STUCK_DELETIONS, now - stale_after, TenantStatus.DELETING,
                            EndpointStatus.DELETING, Kind.DELETE_ENDPOINT, Kind.DELETE_ACCOUNT, WAITING)
    return [row["what"] for row in rows]


async def run(res: Resources, job: Job, progress: Progress) -> list[str]:
    minutes = job.payload.get("stale_minutes")
    stale_after = timedelta(minutes=float(minutes)) if minutes is not None else STALE_AFTER
    return await reconcile(res, dry_run=bool(job.payload.get("dry_run")), stale_after=stale_after)


RECONCILE = Handler(run)
