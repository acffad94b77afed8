"""Agent tokens (``smcp_``) for one endpoint: issue, list, revoke, rotate; shown once, stored as an HMAC.

Entry points: ``issue(ctx, caller, endpoint, name, scopes, expires_in=)`` (an
endpoint by id or slug),
``list_tokens``, ``revoke(ctx, caller, endpoint_id, token_id)`` and
``rotate(...)`` (a new token and the old one revoked in one transaction).
Revocation and rotation publish an invalidation so gateways drop the token.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from control_plane import tokens
from control_plane.catalog.endpoints import LIVE
from control_plane.errors import (
    EndpointNotLive,
    InvalidExpiry,
    InvalidName,
    InvalidScopes,
    NotFound,
    TokenRevoked,
)
from control_plane.redis.invalidation import publish, token_message
from control_plane.services import audit, paging
from control_plane.services.context import Caller, Context, transaction
from control_plane.services.endpoints import Ref, resolve
from control_plane.services.permissions import Permission, check

SCOPE_SETS = ({"mcp"}, {"mcp", "mcp:write"})
MIN_TTL, MAX_TTL = 60, 365 * 86400

ENDPOINT_STATUS = "SELECT status FROM endpoints WHERE id = $1 AND tenant_id = $2"
INSERT = """
INSERT INTO endpoint_tokens (id, tenant_id, endpoint_id, name, token_hash, prefix, scopes, expires_at,
                             oauth_grant_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
"""
LIST = """
SELECT id, name, prefix, scopes, created_at, expires_at, revoked_at, last_used_at FROM endpoint_tokens
WHERE tenant_id = $1 AND endpoint_id = $5
""" + paging.AFTER
OLD = """
SELECT name, scopes, expires_at - created_at AS ttl, revoked_at FROM endpoint_tokens
WHERE id = $1 AND endpoint_id = $2 AND tenant_id = $3 FOR UPDATE
"""
REVOKE = """
UPDATE endpoint_tokens SET revoked_at = coalesce(revoked_at, $4)
WHERE id = $1 AND endpoint_id = $2 AND tenant_id = $3 RETURNING token_hash
"""


@dataclass(frozen=True)
class IssuedToken:
    id: UUID
    token: str  # shown once
    prefix: str
    scopes: list[str]
    expires_at: datetime | None


@dataclass(frozen=True)
class TokenInfo:
    id: UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


def _check(name: str, scopes: Sequence[str], expires_in: int | None) -> tuple[str, list[str]]:
    if not 1 <= len(name.strip()) <= 100:
        raise InvalidName("name must be 1 to 100 characters")
    if set(scopes) not in SCOPE_SETS or len(scopes) != len(set(scopes)):
        raise InvalidScopes('scopes must be ["mcp"] or ["mcp", "mcp:write"]')
    if expires_in is not None and not MIN_TTL <= expires_in <= MAX_TTL:
        raise InvalidExpiry(f"expires_in must be {MIN_TTL} to {MAX_TTL} seconds")
    return name.strip(), sorted(scopes)


async def _open_endpoint(conn: asyncpg.Connection, caller: Caller, endpoint_id: UUID) -> None:
    status = await conn.fetchval(ENDPOINT_STATUS, endpoint_id, caller.tenant_id)
    if status is None:
        raise NotFound("no such endpoint")
    if status not in LIVE:
        raise EndpointNotLive(f"the endpoint is {status}")


async def insert(conn: asyncpg.Connection, ctx: Context, caller: Caller, endpoint_id: UUID, name: str,
                 scopes: list[str], ttl: timedelta | None, *, grant_id: UUID | None = None) -> IssuedToken:
    """A token row in the caller's transaction (an OAuth access token names its grant), audited."""
    token, token_id = tokens.generate(tokens.ENDPOINT_PREFIX), uuid.uuid4()
    prefix, expires_at = tokens.display_prefix(token), (ctx.clock() + ttl if ttl else None)
    token_hash = tokens.digest(token, ctx.pepper)
    await conn.execute(
        INSERT, token_id, caller.tenant_id, endpoint_id, name, token_hash, prefix, scopes, expires_at,
        grant_id,
    )
    await audit.record(conn, caller, "token.issue", token_id, endpoint_id=endpoint_id, token_id=token_id)
    return IssuedToken(token_id, token, prefix, scopes, expires_at)


async def issue(ctx: Context, caller: Caller, endpoint: Ref, name: str, scopes: Sequence[str],
                expires_in: int | None = None) -> IssuedToken:
    name, scopes = _check(name, scopes, expires_in)
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.TOKENS)
        endpoint_id = await resolve(conn, caller, endpoint)
        await _open_endpoint(conn, caller, endpoint_id)
        ttl = timedelta(seconds=expires_in) if expires_in else None
        return await insert(conn, ctx, caller, endpoint_id, name, scopes, ttl)


async def list_tokens(ctx: Context, caller: Caller, endpoint: Ref, *, limit: int | None = None,
                      after: paging.Position | None = None) -> list[TokenInfo]:
    """Oldest first; at most ``limit`` tokens after ``after`` (every token without a limit)."""
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.TOKENS)
        endpoint_id = await resolve(conn, caller, endpoint)
        if await conn.fetchval(ENDPOINT_STATUS, endpoint_id, caller.tenant_id) is None:
            raise NotFound("no such endpoint")
        rows = await conn.fetch(LIST, caller.tenant_id, *paging.bind(after, limit), endpoint_id)
    return [TokenInfo(**{**dict(r), "scopes": list(r["scopes"])}) for r in rows]


async def revoke(ctx: Context, caller: Caller, endpoint: Ref, token_id: UUID) -> None:
    """Idempotent; the first revocation time is kept."""
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.TOKENS)
        endpoint_id = await resolve(conn, caller, endpoint)
        token_hash = await conn.fetchval(REVOKE, token_id, endpoint_id, caller.tenant_id, ctx.clock())
        if token_hash is None:
            raise NotFound("no such token")
        await audit.record(conn, caller, "token.revoke", token_id, endpoint_id=endpoint_id, token_id=token_id)
    await publish(ctx.redis, token_message(token_hash))


async def rotate(ctx: Context, caller: Caller, endpoint: Ref, token_id: UUID) -> IssuedToken:
    """A new token with the old one's name, scopes and lifetime; the old one revoked in the same tx."""
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.TOKENS)
        endpoint_id = await resolve(conn, caller, endpoint)
        old = await conn.fetchrow(OLD, token_id, endpoint_id, caller.tenant_id)
        if old is None:
            raise NotFound("no such token")
        if old["revoked_at"] is not None:
            raise TokenRevoked("the token is already revoked")
        await _open_endpoint(conn, caller, endpoint_id)
        new = await insert(conn, ctx, caller, endpoint_id, old["name"], list(old["scopes"]), old["ttl"])
        old_hash = await conn.fetchval(REVOKE, token_id, endpoint_id, caller.tenant_id, ctx.clock())
        await audit.record(conn, caller, "token.rotate", token_id, endpoint_id=endpoint_id, token_id=token_id,
                           detail={"replaced_by": str(new.id)})
    await publish(ctx.redis, token_message(old_hash))
    return new
