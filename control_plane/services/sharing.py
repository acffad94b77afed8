"""Endpoints shared between tenants: offered by one, accepted (or declined) by the other, revocable at once.

Entry points: ``offer(ctx, caller, endpoint, to, access=)``
(an admin of the offering tenant; the other tenant is named by its id or by one
of its owners' email); ``list_shares`` (both directions); ``accept`` and
``decline`` (an admin of the tenant offered to); ``revoke`` (the offerer);
``issue_token`` and ``revoke_token`` (members of the accepting tenant: tokens
bound to the shared endpoint, counted on its quota). Until accepted the other
tenant sees only the offer, and catalog policies (migration 0009) hold that
too. Each step is audited in both tenants' logs, naming the other tenant.
Revoking a share, or deleting the endpoint, revokes every token issued under
it and publishes their invalidations, so every gateway refuses them at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from control_plane import tokens
from control_plane.catalog.endpoints import LIVE
from control_plane.catalog.tenancy import OPEN_SHARES, ShareStatus
from control_plane.errors import EndpointNotLive, InvalidInput, InvalidScopes, NotFound
from control_plane.redis.invalidation import publish, token_message
from control_plane.services import audit
from control_plane.services.context import Caller, Context, transaction
from control_plane.services.endpoint_tokens import IssuedToken
from control_plane.services.endpoint_tokens import _check as check_token
from control_plane.services.endpoints import Ref, resolve
from control_plane.services.identity import PIN_TENANT
from control_plane.services.permissions import Permission, check

ACCESS = ("read", "read_write")
COLUMNS = """id, tenant_id, grantee_tenant_id, endpoint_id, endpoint_name, endpoint_slug, from_tenant_name,
access, status, offered_by, offered_at, decided_by, decided_at, revoked_at"""
ENDPOINT = "SELECT id, name, slug, status FROM endpoints WHERE id = $1 AND tenant_id = $2"
OWN_NAME = "SELECT name FROM tenants WHERE id = $1"
FIND_TENANT = "SELECT id FROM berth_find_tenant($1)"
OWNER_TENANTS = """
SELECT m.tenant_id FROM users u, berth_user_memberships(u.id) m
WHERE lower(u.email) = lower($1) AND m.role = 'owner'
"""
INSERT = f"""
INSERT INTO endpoint_shares (id, tenant_id, endpoint_id, grantee_tenant_id, access, endpoint_name,
                             endpoint_slug, from_tenant_name, offered_by, offered_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {COLUMNS}
"""
LIST = f"""
SELECT {COLUMNS} FROM endpoint_shares WHERE tenant_id = $1 OR grantee_tenant_id = $1
ORDER BY offered_at DESC, id LIMIT 200
"""
DECIDE = f"""
UPDATE endpoint_shares SET status = $3, decided_by = $4, decided_at = $5
WHERE id = $1 AND grantee_tenant_id = $2 AND status = $6 RETURNING {COLUMNS}
"""
REVOKE = f"""
UPDATE endpoint_shares SET status = $5, revoked_by = $3, revoked_at = $4
WHERE id = $1 AND tenant_id = $2 AND status = ANY($6::text[]) RETURNING {COLUMNS}
"""
REVOKE_TOKENS = """
UPDATE endpoint_tokens SET revoked_at = $2 WHERE share_id = $1 AND revoked_at IS NULL RETURNING token_hash
"""
ACCEPTED = f"""
SELECT {COLUMNS} FROM endpoint_shares WHERE id = $1 AND grantee_tenant_id = $2 AND status = $3
"""
STATUS = "SELECT status FROM endpoints WHERE id = $1"
INSERT_TOKEN = """
INSERT INTO endpoint_tokens (id, tenant_id, endpoint_id, name, token_hash, prefix, scopes, expires_at,
                             share_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
"""
REVOKE_TOKEN = """
UPDATE endpoint_tokens SET revoked_at = coalesce(revoked_at, $4)
WHERE id = $1 AND share_id = $2 AND tenant_id = $3 RETURNING token_hash
"""


@dataclass(frozen=True)
class Share:
    id: UUID
    direction: str  # "outgoing" (offered by this tenant) or "incoming" (offered to it)
    from_tenant_id: UUID
    from_tenant_name: str
    to_tenant_id: UUID
    endpoint_id: UUID
    endpoint_name: str
    access: str
    status: str
    offered_by: str
    offered_at: datetime
    decided_at: datetime | None
    revoked_at: datetime | None
    mcp_url: str | None  # once accepted, where the accepting tenant's tokens work


def _view(ctx: Context, caller: Caller, row: asyncpg.Record) -> Share:
    visible = row["status"] == ShareStatus.ACCEPTED or row["tenant_id"] == caller.tenant_id
    return Share(
        row["id"], "outgoing" if row["tenant_id"] == caller.tenant_id else "incoming", row["tenant_id"],
        row["from_tenant_name"], row["grantee_tenant_id"], row["endpoint_id"], row["endpoint_name"],
        row["access"], row["status"], row["offered_by"], row["offered_at"], row["decided_at"],
        row["revoked_at"], f"{ctx.base_url}/e/{row['endpoint_slug']}/mcp" if visible else None,
    )


async def both_logs(conn: asyncpg.Connection, caller: Caller, other: UUID, action: str, target: UUID, *,
                    endpoint_id: UUID | None = None, detail: dict[str, Any]) -> None:
    """One row in the caller's log and one in the other tenant's, each naming the other side."""
    await audit.record(conn, caller, action, target, endpoint_id=endpoint_id,
                       detail={**detail, "other_tenant": str(other)})
    await conn.execute(PIN_TENANT, str(other))
    try:
        await audit.write(conn, other, caller.actor, action, target, request_id=caller.request_id,
                          endpoint_id=endpoint_id, detail={**detail, "other_tenant": str(caller.tenant_id)})
    finally:
        await conn.execute(PIN_TENANT, str(caller.tenant_id))


def _tenant_id(to: str) -> UUID | None:
    try:
        return UUID(to)
    except ValueError:
        return None


async def _grantee(conn: asyncpg.Connection, caller: Caller, to: str) -> UUID:
    """The tenant named by id or by an owner's email; an unknown one is ``NotFound``."""
    as_id = _tenant_id(to)
    if as_id is not None:
        found: UUID | None = await conn.fetchval(FIND_TENANT, as_id)
    else:
        found = await conn.fetchval(OWNER_TENANTS, to.strip()[:320])
    if found is None or found == caller.tenant_id:
        raise NotFound("no such tenant")
    return found


async def offer(ctx: Context, caller: Caller, endpoint: Ref, to: str, *, access: str = "read") -> Share:
    """``to`` is the other tenant's id or one of its owners' email."""
    if access not in ACCESS:
        raise InvalidInput("access must be read or read_write")
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.SHARING)
        endpoint_id = await resolve(conn, caller, endpoint)
        found = await conn.fetchrow(ENDPOINT, endpoint_id, caller.tenant_id)
        if found is None or found["status"] not in LIVE:
            raise NotFound("no such endpoint")
        grantee = await _grantee(conn, caller, to)
        own_name = await conn.fetchval(OWN_NAME, caller.tenant_id)
        row = await conn.fetchrow(INSERT, uuid.uuid4(), caller.tenant_id, endpoint_id, grantee, access,
                                  found["name"], found["slug"], own_name, caller.actor, ctx.clock())
        await both_logs(conn, caller, grantee, "share.offer", row["id"], endpoint_id=endpoint_id,
                        detail={"access": access, "endpoint_name": found["name"]})
    return _view(ctx, caller, row)


async def list_shares(ctx: Context, caller: Caller) -> list[Share]:
    """Offered by the tenant and offered to it, newest first (at most 200)."""
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.READ)
        rows = await conn.fetch(LIST, caller.tenant_id)
    return [_view(ctx, caller, r) for r in rows]


async def decide(ctx: Context, caller: Caller, share_id: UUID, *, accept: bool) -> Share:
    """An offer to the caller's tenant becomes accepted or declined; anything else is ``NotFound``."""
    status = ShareStatus.ACCEPTED if accept else ShareStatus.DECLINED
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.SHARING)
        row = await conn.fetchrow(DECIDE, share_id, caller.tenant_id, status, caller.actor, ctx.clock(),
                                  ShareStatus.OFFERED)
        if row is None:
            raise NotFound("no such offer")
        action = f"share.{'accept' if accept else 'decline'}"
        await both_logs(conn, caller, row["tenant_id"], action, share_id,
                        endpoint_id=row["endpoint_id"], detail={"access": row["access"]})
    return _view(ctx, caller, row)


async def revoke(ctx: Context, caller: Caller, share_id: UUID) -> Share:
    """The offerer ends a share; every token issued under it stops on every gateway."""
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.SHARING)
        row = await conn.fetchrow(REVOKE, share_id, caller.tenant_id, caller.actor, ctx.clock(),
                                  ShareStatus.REVOKED, OPEN_SHARES)
        if row is None:
            raise NotFound("no such share")
        hashes = [r["token_hash"] for r in await conn.fetch(REVOKE_TOKENS, share_id, ctx.clock())]
        await both_logs(conn, caller, row["grantee_tenant_id"], "share.revoke", share_id,
                        endpoint_id=row["endpoint_id"], detail={"tokens_revoked": len(hashes)})
    await publish(ctx.redis, *(token_message(h) for h in hashes))
    return _view(ctx, caller, row)


async def _accepted(conn: asyncpg.Connection, caller: Caller, share_id: UUID) -> asyncpg.Record:
    row = await conn.fetchrow(ACCEPTED, share_id, caller.tenant_id, ShareStatus.ACCEPTED)
    if row is None:
        raise NotFound("no such share")
    return row


async def issue_token(ctx: Context, caller: Caller, share_id: UUID, name: str, scopes: Sequence[str],
                      expires_in: int | None = None) -> IssuedToken:
    """A token of the accepting tenant for the shared endpoint; a read share gives read tokens only."""
    name, scopes = check_token(name, scopes, expires_in)
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.TOKENS)
        share = await _accepted(conn, caller, share_id)
        if share["access"] == "read" and "mcp:write" in scopes:
            raise InvalidScopes("the share is read-only: scopes must be [\"mcp\"]")
        status = await conn.fetchval(STATUS, share["endpoint_id"])
        if status not in LIVE:
            raise EndpointNotLive(f"the endpoint is {status}")
        token, token_id = tokens.generate(tokens.ENDPOINT_PREFIX), uuid.uuid4()
        expires = ctx.clock() + timedelta(seconds=expires_in) if expires_in else None
        await conn.execute(INSERT_TOKEN, token_id, caller.tenant_id, share["endpoint_id"], name,
                           tokens.digest(token, ctx.pepper), tokens.display_prefix(token), scopes, expires,
                           share_id)
        await both_logs(conn, caller, share["tenant_id"], "share.token.issue", token_id,
                        endpoint_id=share["endpoint_id"],
                        detail={"share_id": str(share_id), "scopes": scopes})
    return IssuedToken(token_id, token, tokens.display_prefix(token), scopes, expires)


async def revoke_token(ctx: Context, caller: Caller, share_id: UUID, token_id: UUID) -> None:
    """Idempotent, like any token's revocation; audited in both logs."""
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.TOKENS)
        share = await _accepted(conn, caller, share_id)
        token_hash = await conn.fetchval(REVOKE_TOKEN, token_id, share_id, caller.tenant_id, ctx.clock())
        if token_hash is None:
            raise NotFound("no such token")
        await both_logs(conn, caller, share["tenant_id"], "share.token.revoke", token_id,
                        endpoint_id=share["endpoint_id"], detail={"share_id": str(share_id)})
    await publish(ctx.redis, token_message(token_hash))
