"""Cross-tenant reads for the platform operator, run on the berth_worker pool (its RLS policy sees all)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import redis.asyncio as aioredis

from control_plane.catalog.db import CATALOG_DOWN, CATALOG_DOWN_MESSAGE
from control_plane.catalog.endpoints import EndpointStatus
from control_plane.catalog.tenants import TenantStatus
from control_plane.errors import InvalidId, NotFound, Unavailable, UnknownPlan
from control_plane.plans import PLANS
from control_plane.redis.invalidation import endpoint_message, publish
from control_plane.services import audit

# {deleted}: the parameter that binds EndpointStatus.DELETED (live endpoints are counted).
TENANTS = """
SELECT t.id, t.name, t.status, t.plan, t.created_at,
       (SELECT count(*) FROM endpoints e WHERE e.tenant_id = t.id AND e.status <> {deleted}) AS endpoints,
       (SELECT count(*) FROM memberships m WHERE m.tenant_id = t.id) AS members
FROM tenants t
"""
ALL_TENANTS = TENANTS.format(deleted="$1") + " ORDER BY t.created_at, t.id"
ONE_TENANT = TENANTS.format(deleted="$2") + " WHERE t.id = $1"
ACTIVE_TENANTS = "SELECT id FROM tenants WHERE status = $1 ORDER BY created_at, id"
ENDPOINTS = """
SELECT id, tenant_id, slug, name, plan, status, created_at FROM endpoints
WHERE status <> $1 ORDER BY created_at, id
"""
OLD_PLAN = "SELECT plan FROM tenants WHERE id = $1 FOR UPDATE"
SET_PLAN = "UPDATE tenants SET plan = $2 WHERE id = $1"
ENDPOINTS_TO_PLAN = """
UPDATE endpoints SET plan = $2, updated_at = now() WHERE tenant_id = $1 AND status <> $3 AND plan <> $2
RETURNING id
"""
FIND_ENDPOINT = "SELECT id, tenant_id, slug FROM endpoints WHERE id = $1 OR slug = $2"
AUDIT_COLUMNS = "SELECT id, tenant_id, actor, action, target, outcome, created_at FROM audit_log"
NEWEST = AUDIT_COLUMNS + " WHERE ($1::uuid IS NULL OR tenant_id = $1) ORDER BY id DESC LIMIT $2"
AFTER = AUDIT_COLUMNS + " WHERE ($1::uuid IS NULL OR tenant_id = $1) AND id > $2 ORDER BY id LIMIT $3"


@dataclass(frozen=True)
class TenantSummary:
    id: UUID
    name: str
    status: str
    plan: str
    created_at: datetime
    endpoints: int
    members: int


@dataclass(frozen=True)
class EndpointRef:
    id: UUID
    tenant_id: UUID
    slug: str


@asynccontextmanager
async def _connection(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """The one place these queries' asyncpg failures become Berth errors."""
    try:
        async with pool.acquire() as conn:
            yield conn
    except CATALOG_DOWN as exc:
        raise Unavailable(CATALOG_DOWN_MESSAGE) from exc


def parse_uuid(text: str, what: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise InvalidId(f"{what} must be a UUID") from None


async def list_tenants(pool: asyncpg.Pool) -> list[TenantSummary]:
    async with _connection(pool) as conn:
        return [TenantSummary(**dict(r)) for r in await conn.fetch(ALL_TENANTS, EndpointStatus.DELETED)]


async def get_tenant(pool: asyncpg.Pool, tenant_id: UUID) -> TenantSummary:
    async with _connection(pool) as conn:
        row = await conn.fetchrow(ONE_TENANT, tenant_id, EndpointStatus.DELETED)
    if row is None:
        raise NotFound("no such tenant")
    return TenantSummary(**dict(row))


async def set_plan(pool: asyncpg.Pool, redis: aioredis.Redis, tenant_id: UUID, plan: str,
                   actor: str) -> TenantSummary:
    """The tenant's plan, and every live endpoint's with it; gateways drop what they cached of them."""
    if plan not in PLANS:
        raise UnknownPlan(f"unknown plan; choose one of {', '.join(PLANS)}")
    async with _connection(pool) as conn, conn.transaction():
        old = await conn.fetchval(OLD_PLAN, tenant_id)
        if old is None:
            raise NotFound("no such tenant")
        await conn.execute(SET_PLAN, tenant_id, plan)
        rows = await conn.fetch(ENDPOINTS_TO_PLAN, tenant_id, plan, EndpointStatus.DELETED)
        moved = [r["id"] for r in rows]
        await audit.write(conn, tenant_id, actor, "tenant.set_plan", tenant_id,
                          detail={"from": old, "to": plan, "endpoints": len(moved)})
    await publish(redis, *(endpoint_message(e) for e in moved))
    return await get_tenant(pool, tenant_id)


async def active_tenant_ids(pool: asyncpg.Pool) -> list[UUID]:
    async with _connection(pool) as conn:
        return [r["id"] for r in await conn.fetch(ACTIVE_TENANTS, TenantStatus.ACTIVE)]


async def list_endpoints(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """Every live endpoint of every tenant, oldest first."""
    async with _connection(pool) as conn:
        return [dict(r) for r in await conn.fetch(ENDPOINTS, EndpointStatus.DELETED)]


async def find_endpoint(pool: asyncpg.Pool, ref: str) -> EndpointRef:
    """An endpoint by id or by slug, whichever tenant owns it."""
    try:
        endpoint_id: UUID | None = UUID(ref)
    except ValueError:
        endpoint_id = None
    async with _connection(pool) as conn:
        row = await conn.fetchrow(FIND_ENDPOINT, endpoint_id, ref)
    if row is None:
        raise NotFound(f"no endpoint with id or slug {ref!r}")
    return EndpointRef(row["id"], row["tenant_id"], row["slug"])


async def newest_audit(pool: asyncpg.Pool, tenant_id: UUID | None, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` rows of one tenant or all, oldest first as a tail prints them."""
    async with _connection(pool) as conn:
        rows = await conn.fetch(NEWEST, tenant_id, limit)
    return [dict(r) for r in reversed(rows)]


async def audit_after(
    pool: asyncpg.Pool, tenant_id: UUID | None, after: int, limit: int
) -> list[dict[str, Any]]:
    """Rows with id > ``after``, oldest first, so a follower that polls never skips any."""
    async with _connection(pool) as conn:
        return [dict(r) for r in await conn.fetch(AFTER, tenant_id, after, limit)]
