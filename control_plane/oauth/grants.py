"""Grants: one client's access to one endpoint, from one user's consent; listed and revoked by the tenant.

Revoking a grant revokes its access tokens (published like any token
revocation, so every gateway drops them at once) and retires its refresh
tokens. Entry points: ``endpoint_for``, ``create``, ``list_grants``,
``revoke`` (a tenant's call) and ``revoke_in`` (inside another transaction).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from control_plane.errors import NotFound
from control_plane.redis.invalidation import publish, token_message
from control_plane.services import audit
from control_plane.services.context import Caller, Context, transaction
from control_plane.services.permissions import Permission, check

MEMBERSHIPS = "SELECT tenant_id FROM berth_user_memberships($1)"
ENDPOINT = "SELECT id, name, status FROM endpoints WHERE slug = $1 AND tenant_id = $2"
CREATE = """
INSERT INTO oauth_grants (id, tenant_id, endpoint_id, client_id, resource, user_id, scopes)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
LIST = """
SELECT g.id, g.endpoint_id, e.slug, g.client_id, c.client_name, g.scopes, g.created_at, g.last_used_at,
       g.revoked_at, g.revoked_why
FROM oauth_grants g JOIN endpoints e ON e.id = g.endpoint_id JOIN oauth_clients c ON c.id = g.client_id
WHERE g.tenant_id = $1 AND ($2 OR g.revoked_at IS NULL) ORDER BY g.created_at, g.id
"""
REVOKE_GRANT = """
UPDATE oauth_grants SET revoked_at = coalesce(revoked_at, $3), revoked_why = coalesce(revoked_why, $4)
WHERE id = $1 AND tenant_id = $2 RETURNING endpoint_id
"""
REVOKE_TOKENS = """
UPDATE endpoint_tokens SET revoked_at = coalesce(revoked_at, $3)
WHERE oauth_grant_id = $1 AND tenant_id = $2 RETURNING token_hash
"""
RETIRE_REFRESH = """
UPDATE oauth_refresh_tokens SET used_at = coalesce(used_at, $3) WHERE grant_id = $1 AND tenant_id = $2
"""


@dataclass(frozen=True)
class EndpointChoice:
    tenant_id: UUID
    endpoint_id: UUID
    name: str
    status: str


@dataclass(frozen=True)
class GrantInfo:
    id: UUID
    endpoint_id: UUID
    slug: str
    client_id: str
    client_name: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_why: str | None


async def endpoint_for(ctx: Context, user_id: UUID, slug: str) -> EndpointChoice | None:
    """The endpoint ``slug`` among the user's own tenants only; None when it is not one of theirs."""
    async with transaction(ctx, None) as conn:
        tenants = [row["tenant_id"] for row in await conn.fetch(MEMBERSHIPS, user_id)]
    for tenant_id in tenants:
        async with transaction(ctx, tenant_id) as conn:
            row = await conn.fetchrow(ENDPOINT, slug, tenant_id)
        if row is not None:
            return EndpointChoice(tenant_id, row["id"], row["name"], row["status"])
    return None


async def create(conn: asyncpg.Connection, caller: Caller, endpoint_id: UUID, client_id: str, resource: str,
                 scopes: Sequence[str]) -> UUID:
    grant_id = uuid.uuid4()
    await conn.execute(CREATE, grant_id, caller.tenant_id, endpoint_id, client_id, resource, caller.user_id,
                       list(scopes))
    await audit.record(conn, caller, "oauth.grant", grant_id, endpoint_id=endpoint_id,
                       detail={"client_id": client_id[:300], "scopes": list(scopes)})
    return grant_id


async def revoke_in(conn: asyncpg.Connection, tenant_id: UUID, grant_id: UUID, now: datetime,
                    why: str) -> list[bytes] | None:
    """Revoke the grant in ``conn``'s transaction; the token hashes to publish, or None for no such grant."""
    if await conn.fetchval(REVOKE_GRANT, grant_id, tenant_id, now, why) is None:
        return None
    await conn.execute(RETIRE_REFRESH, grant_id, tenant_id, now)
    return [row["token_hash"] for row in await conn.fetch(REVOKE_TOKENS, grant_id, tenant_id, now)]


async def revoke(ctx: Context, caller: Caller, grant_id: UUID, why: str = "revoked") -> None:
    """Idempotent: the grant's tokens stop working at once on every gateway."""
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.TOKENS)
        hashes = await revoke_in(conn, caller.tenant_id, grant_id, ctx.clock(), why)
        if hashes is None:
            raise NotFound("no such grant")
        await audit.record(conn, caller, "oauth.revoke", grant_id, detail={"why": why})
    await publish(ctx.redis, *(token_message(h) for h in hashes))


async def list_grants(ctx: Context, caller: Caller, *, include_revoked: bool = False) -> list[GrantInfo]:
    """The tenant's connected apps, oldest first."""
    async with transaction(ctx, caller.tenant_id) as conn:
        rows = await conn.fetch(LIST, caller.tenant_id, include_revoked)
    return [GrantInfo(**{**dict(r), "scopes": list(r["scopes"])}) for r in rows]
