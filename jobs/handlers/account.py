"""Account deletion: every endpoint's database torn down and verified gone, then the tenant's rows.

The API has already marked the tenant ``deleting`` and revoked its keys and
tokens in the request's transaction; this job repeats that (harmless) in case
anything was added since. Progress (``{"removed": k, "total": n}``) is written
to the job's result as it goes. The audit trail is kept: it outlives the tenant.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from control_plane.catalog import endpoints, tenants
from control_plane.catalog.endpoints import EndpointStatus
from control_plane.catalog.jobs import Job
from control_plane.catalog.tenants import TenantStatus
from control_plane.errors import ProviderError
from control_plane.redis.invalidation import publish
from control_plane.services import audit
from jobs.handlers.base import Handler, Progress, Resources
from jobs.steps.lifecycle import teardown_endpoint

ENDPOINTS = "SELECT id FROM endpoints WHERE tenant_id = $1 AND status <> $2 ORDER BY created_at, id"
WITH_DATABASE = "SELECT count(*) FROM endpoints WHERE id = ANY($1::uuid[]) AND provider_ref IS NOT NULL"
SOLE_USERS = """
SELECT m.user_id FROM memberships m WHERE m.tenant_id = $1
  AND NOT EXISTS (SELECT FROM memberships o WHERE o.user_id = m.user_id AND o.tenant_id <> $1)
"""
FORGET = (
    "DELETE FROM endpoint_tokens WHERE tenant_id = $1",
    "DELETE FROM api_keys WHERE tenant_id = $1",
    "DELETE FROM usage_monthly WHERE tenant_id = $1",
    "DELETE FROM memberships WHERE tenant_id = $1",
    "DELETE FROM endpoints WHERE tenant_id = $1",
)
DELETE_USERS = "DELETE FROM users WHERE id = ANY($1::uuid[])"


async def delete_account(res: Resources, job: Job, progress: Progress) -> list[str]:
    tenant_id = UUID(str(job.payload["tenant_id"]))
    status = await tenants.status(res.pool, tenant_id)
    if status is None or status == TenantStatus.DELETED:
        return [f"account {tenant_id} is already {status or 'gone'}"]
    await _seal_off(res, tenant_id)
    # The endpoint list is fixed on the first try, so a retry counts the same databases.
    recorded = (job.result or {}).get("endpoints")
    ids = [UUID(i) for i in recorded] if recorded is not None else await _endpoints(res.pool, tenant_id)
    state: dict[str, object] = {"endpoints": [str(i) for i in ids], "total": len(ids), "removed": 0}
    await progress(state)
    for removed, endpoint_id in enumerate(ids, 1):
        await teardown_endpoint(res.pool, res.provider, res.redis, endpoint_id)
        await progress({**state, "removed": removed})
    strays = await _sweep(res, set(ids))
    databases = int(await res.pool.fetchval(WITH_DATABASE, ids)) + strays
    await _forget(res.pool, tenant_id, databases)
    return [f"account {tenant_id} deleted: {databases} databases removed, catalog rows gone, audit kept"]


async def _endpoints(pool: asyncpg.Pool, tenant_id: UUID) -> list[UUID]:
    return [row["id"] for row in await pool.fetch(ENDPOINTS, tenant_id, EndpointStatus.DELETED)]


async def _seal_off(res: Resources, tenant_id: UUID) -> None:
    async with res.pool.acquire() as conn, conn.transaction():
        await tenants.seal_off(conn, tenant_id)
        revoked = await endpoints.revoke_tenant_tokens(conn, tenant_id)
    await publish(res.redis, *revoked.messages)


async def _sweep(res: Resources, endpoint_ids: set[UUID]) -> int:
    """Databases of these endpoints the catalog never recorded (a create that finished after teardown)."""
    strays = [d for d in await res.provider.list_databases() if d.endpoint_id in endpoint_ids]
    for database in strays:
        await res.provider.delete_database(database.ref)
        if await res.provider.get_database(database.ref) is not None:
            raise ProviderError(f"database {database.ref} is still present", retryable=True)
    return len(strays)


async def _forget(pool: asyncpg.Pool, tenant_id: UUID, databases: int) -> None:
    async with pool.acquire() as conn, conn.transaction():
        users = [row["user_id"] for row in await conn.fetch(SOLE_USERS, tenant_id)]
        for statement in FORGET:
            await conn.execute(statement, tenant_id)
        await conn.execute(DELETE_USERS, users)
        await tenants.tombstone(conn, tenant_id)
        await audit.write(conn, tenant_id, "system", "account.deleted", tenant_id,
                          detail={"databases_removed": databases})


DELETE_ACCOUNT = Handler(delete_account)
