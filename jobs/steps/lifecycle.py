"""The worker's steps for one endpoint: provision it, tear it down, or mark it failed.

Each step reads the endpoint's state first and does only what is still to do,
so a job retried after a crash at any point repeats nothing harmful. Retryable
``ProviderError`` propagates (the queue retries the job); a permanent one ends
a provision as ``failed`` with a reason the tenant can read.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
import redis.asyncio as aioredis

from control_plane.catalog import endpoints
from control_plane.catalog.endpoints import EndpointStatus
from control_plane.errors import ProviderError
from control_plane.providers.base import DatabaseSpec, Provider
from control_plane.redis.invalidation import publish
from control_plane.sealing import Sealer
from control_plane.services import audit

STATE = "SELECT tenant_id, status, region, provider_ref FROM endpoints WHERE id = $1"
RECORD_REF = "UPDATE endpoints SET provider_ref = $2, updated_at = now() WHERE id = $1"


async def _audit(conn: asyncpg.Connection, tenant_id: UUID, action: str, endpoint_id: UUID,
                 **extra: Any) -> None:
    await audit.write(conn, tenant_id, "system", action, endpoint_id, endpoint_id=endpoint_id, **extra)


async def provision_endpoint(pool: asyncpg.Pool, provider: Provider, sealer: Sealer,
                             redis: aioredis.Redis, endpoint_id: UUID) -> str:
    """Create the endpoint's database and seal its connection strings; ``provisioning -> ready``."""
    row = await pool.fetchrow(STATE, endpoint_id)
    if row is None or row["status"] != EndpointStatus.PROVISIONING:
        return f"endpoint {endpoint_id} is {row['status'] if row else 'gone'}; nothing to provision"
    try:
        made = await provider.create_database(DatabaseSpec(endpoint_id, row["region"]))
    except ProviderError as exc:
        if exc.retryable:
            raise
        await mark_failed(pool, endpoint_id, str(exc))
        return f"endpoint {endpoint_id} failed: {exc}"
    owner = sealer.seal_dsn(made.owner_dsn, endpoint_id, "owner")
    reader = sealer.seal_dsn(made.reader_dsn, endpoint_id, "reader")
    async with pool.acquire() as conn, conn.transaction():
        # The reference is kept even if the endpoint started deleting meanwhile, so teardown finds it.
        await conn.execute(RECORD_REF, endpoint_id, made.ref)
        moved = await endpoints.mark_ready(conn, endpoint_id, owner.key_id, owner.blob, reader.blob)
        if moved.happened:
            await _audit(conn, row["tenant_id"], "endpoint.ready", endpoint_id)
    await publish(redis, *moved.messages)
    return f"endpoint {endpoint_id} is ready on {provider.name}"


async def mark_failed(pool: asyncpg.Pool, endpoint_id: UUID, reason: str) -> None:
    """``provisioning -> failed`` with a reason the tenant can read; a no-op in any other state."""
    async with pool.acquire() as conn, conn.transaction():
        tenant_id = await endpoints.mark_failed(conn, endpoint_id, reason)
        if tenant_id is not None:
            await _audit(conn, tenant_id, "endpoint.failed", endpoint_id, outcome="error",
                         detail={"reason": reason[:500]})


async def teardown_endpoint(pool: asyncpg.Pool, provider: Provider, redis: aioredis.Redis,
                            endpoint_id: UUID) -> str:
    """Revoke, close, delete at the provider, verify it is gone, scrub the secrets; ``-> deleted``."""
    row = await pool.fetchrow(STATE, endpoint_id)
    if row is None or row["status"] == EndpointStatus.DELETED:
        return f"endpoint {endpoint_id} is already {EndpointStatus.DELETED if row else 'gone'}"
    async with pool.acquire() as conn, conn.transaction():
        starting = await endpoints.start_delete(conn, endpoint_id)
    await publish(redis, *starting.messages)
    ref = row["provider_ref"]
    if ref is not None:
        await provider.delete_database(ref)
        if await provider.get_database(ref) is not None:
            raise ProviderError(f"database of endpoint {endpoint_id} is still present", retryable=True)
    async with pool.acquire() as conn, conn.transaction():
        deleted = await endpoints.mark_deleted(conn, endpoint_id)
        await _audit(conn, row["tenant_id"], "endpoint.deleted", endpoint_id)
    await publish(redis, *deleted.messages)
    return f"endpoint {endpoint_id} deleted{'' if ref else ' (no database had been made)'}"
