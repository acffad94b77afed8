"""Codes, access tokens (``smcp_``), rotating refresh tokens, and RFC 7009 revocation.

- A code is single use (Redis GETDEL on its HMAC), short-lived, bound to the
  client, the redirect URI, the PKCE S256 challenge and the resource. A code
  presented again revokes the grant it produced (OAuth 2.1 section 4.1.3).
- The access token is an endpoint token of the grant's endpoint, so the
  gateway checks it as any other; it lives ``Lifetimes.access``.
- A refresh token (``bthr_``) works once: each use returns a new pair, and a
  used one presented again revokes the whole grant (reuse detection).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import timedelta
from uuid import UUID

import asyncpg
import orjson
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge

from control_plane import tokens
from control_plane.catalog.endpoints import LIVE
from control_plane.errors import InvalidGrant, InvalidScope, InvalidTarget, OAuthError
from control_plane.oauth import grants
from control_plane.redis.invalidation import publish, token_message
from control_plane.services import audit, endpoint_tokens
from control_plane.services.context import Caller, Context, transaction

CODE_TTL = timedelta(minutes=3)
USED_CODE_MEMORY = 600
REFRESH_PREFIX = "bthr_"

FIND_REFRESH = "SELECT id, tenant_id, grant_id FROM berth_find_refresh_token($1)"
FIND_ACCESS = "SELECT tenant_id, grant_id FROM berth_find_oauth_access($1)"
GRANT_OF_REFRESH = """
SELECT r.used_at, r.expires_at, g.id, g.client_id, g.endpoint_id, g.resource, g.user_id, g.scopes,
       g.revoked_at, c.client_name, e.status
FROM oauth_refresh_tokens r JOIN oauth_grants g ON g.id = r.grant_id
JOIN oauth_clients c ON c.id = g.client_id JOIN endpoints e ON e.id = g.endpoint_id
WHERE r.id = $1 AND r.tenant_id = $2 FOR UPDATE OF r, g
"""
GRANT_CLIENT = "SELECT client_id FROM oauth_grants WHERE id = $1 AND tenant_id = $2"
ENDPOINT_STATUS = "SELECT status FROM endpoints WHERE id = $1 AND tenant_id = $2"
CLIENT_NAME = "SELECT client_name FROM oauth_clients WHERE id = $1"
INSERT_REFRESH = """
INSERT INTO oauth_refresh_tokens (id, tenant_id, grant_id, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5)
"""
USE_REFRESH = "UPDATE oauth_refresh_tokens SET used_at = $3 WHERE id = $1 AND tenant_id = $2"
TOUCH_GRANT = "UPDATE oauth_grants SET last_used_at = $3 WHERE id = $1 AND tenant_id = $2"


@dataclass(frozen=True)
class Lifetimes:
    access: timedelta
    refresh: timedelta


@dataclass(frozen=True)
class Consent:
    """What a code stands for: the user's decision on one checked request; ``expires_at`` a UNIX time."""

    tenant_id: str
    endpoint_id: str
    user_id: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    resource: str
    scopes: tuple[str, ...]
    expires_at: float


def _code_key(ctx: Context, code: str, kind: str = "code") -> str:
    return f"berth:oauth:{kind}:{tokens.digest(code[:256], ctx.pepper).hex()}"


async def issue_code(ctx: Context, consent: Consent) -> str:
    code = secrets.token_urlsafe(32)
    ttl = int(CODE_TTL.total_seconds()) + 60  # the expiry in the payload is what counts
    await ctx.redis.set(_code_key(ctx, code), orjson.dumps(asdict(consent)), ex=ttl)
    return code


async def _take_code(ctx: Context, code: str) -> Consent:
    raw = await ctx.redis.getdel(_code_key(ctx, code)) if code else None
    if raw is None:
        used = await ctx.redis.get(_code_key(ctx, code, "used")) if code else None
        if used is not None:  # a replayed code: whatever it produced is withdrawn
            tenant, grant = (used.decode() if isinstance(used, bytes) else str(used)).split(":")
            await _revoke_grant(ctx, UUID(tenant), UUID(grant), "code_replayed")
        raise InvalidGrant("the code is used, expired or unknown")
    data = orjson.loads(raw)
    return Consent(**{**data, "scopes": tuple(data["scopes"])})


def _check_exchange(consent: Consent, form: Mapping[str, str], now: float) -> None:
    if consent.expires_at <= now:
        raise InvalidGrant("the code has expired")
    if form.get("client_id") != consent.client_id or form.get("redirect_uri") != consent.redirect_uri:
        raise InvalidGrant("the code was issued to another client or redirect_uri")
    verifier = form.get("code_verifier")
    if not verifier:
        raise OAuthError("code_verifier is required (PKCE)")
    if not compare_s256_code_challenge(verifier, consent.code_challenge):
        raise InvalidGrant("code_verifier does not match the code_challenge")
    if form.get("resource") != consent.resource:
        raise InvalidTarget("resource must be the one the code was issued for")


async def _pair(conn: asyncpg.Connection, ctx: Context, caller: Caller, grant_id: UUID, endpoint_id: UUID,
                scopes: list[str], client_name: str, lifetimes: Lifetimes) -> dict[str, object]:
    """A new access token and refresh token for the grant, in ``conn``'s transaction."""
    if await conn.fetchval(ENDPOINT_STATUS, endpoint_id, caller.tenant_id) not in LIVE:
        raise InvalidGrant("the endpoint is no longer live")
    access = await endpoint_tokens.insert(conn, ctx, caller, endpoint_id, f"oauth: {client_name}"[:100],
                                          sorted(scopes), lifetimes.access, grant_id=grant_id)
    refresh = tokens.generate(REFRESH_PREFIX)
    await conn.execute(INSERT_REFRESH, uuid.uuid4(), caller.tenant_id, grant_id,
                       tokens.digest(refresh, ctx.pepper), ctx.clock() + lifetimes.refresh)
    return {"access_token": access.token, "token_type": "Bearer",
            "expires_in": int(lifetimes.access.total_seconds()), "refresh_token": refresh,
            "scope": " ".join(sorted(scopes))}


async def exchange(ctx: Context, form: Mapping[str, str], lifetimes: Lifetimes,
                   request_id: str | None = None) -> dict[str, object]:
    """grant_type=authorization_code: a code, its PKCE verifier and resource, for a new grant's tokens."""
    code = form.get("code", "")
    consent = await _take_code(ctx, code)
    _check_exchange(consent, form, ctx.clock().timestamp())
    tenant = UUID(consent.tenant_id)
    caller = Caller(tenant, f"user:{consent.user_id}", request_id, UUID(consent.user_id))
    async with transaction(ctx, tenant) as conn:
        grant_id = await grants.create(conn, caller, UUID(consent.endpoint_id), consent.client_id,
                                       consent.resource, consent.scopes)
        name = await conn.fetchval(CLIENT_NAME, consent.client_id)
        body = await _pair(conn, ctx, caller, grant_id, UUID(consent.endpoint_id), list(consent.scopes),
                           name, lifetimes)
    await ctx.redis.set(_code_key(ctx, code, "used"), f"{tenant}:{grant_id}", ex=USED_CODE_MEMORY)
    return body


async def _find_refresh(ctx: Context, token: str) -> tuple[UUID, UUID, UUID] | None:
    if not tokens.is_well_formed(token, REFRESH_PREFIX):
        return None
    async with transaction(ctx, None) as conn:
        row = await conn.fetchrow(FIND_REFRESH, tokens.digest(token, ctx.pepper))
    return (row["id"], row["tenant_id"], row["grant_id"]) if row else None


def _refresh_refusal(row: asyncpg.Record, form: Mapping[str, str], ctx: Context) -> str | None:
    if row["revoked_at"] is not None:
        return "the grant is revoked"
    if row["expires_at"] <= ctx.clock():
        return "the refresh token has expired"
    if form.get("client_id") != row["client_id"]:
        return "the refresh token was issued to another client"
    if form.get("resource") not in (None, row["resource"]):
        raise InvalidTarget("resource must be the one the grant is for")
    if not set((form.get("scope") or "mcp").split()) <= set(row["scopes"]):
        raise InvalidScope("a refresh cannot widen the grant's scopes")
    return None


async def refresh(ctx: Context, form: Mapping[str, str], lifetimes: Lifetimes,
                  request_id: str | None = None) -> dict[str, object]:
    """grant_type=refresh_token: a new pair; a refresh token used twice revokes the grant."""
    found = await _find_refresh(ctx, form.get("refresh_token", ""))
    if found is None:
        raise InvalidGrant("the refresh token is unknown")
    refresh_id, tenant, grant_id = found
    revoked: list[bytes] = []
    async with transaction(ctx, tenant) as conn:
        row = await conn.fetchrow(GRANT_OF_REFRESH, refresh_id, tenant)
        caller = Caller(tenant, f"oauth:{grant_id}", request_id, row["user_id"])
        refusal = _refresh_refusal(row, form, ctx)
        if refusal is None and row["used_at"] is not None:
            revoked = await grants.revoke_in(conn, tenant, grant_id, ctx.clock(), "refresh_reused") or []
            await _audit_revoke(conn, caller, grant_id, "refresh_reused")
            refusal = "the refresh token was already used; the grant is revoked"
        if refusal is None:
            await conn.execute(USE_REFRESH, refresh_id, tenant, ctx.clock())
            await conn.execute(TOUCH_GRANT, grant_id, tenant, ctx.clock())
            return await _pair(conn, ctx, caller, grant_id, row["endpoint_id"], list(row["scopes"]),
                               row["client_name"], lifetimes)
    await publish(ctx.redis, *(token_message(h) for h in revoked))
    raise InvalidGrant(refusal)


async def _audit_revoke(conn: asyncpg.Connection, caller: Caller, grant_id: UUID, why: str) -> None:
    await audit.record(conn, caller, "oauth.revoke", grant_id, outcome="ok", detail={"why": why})


async def _revoke_grant(ctx: Context, tenant: UUID, grant_id: UUID, why: str,
                        client_id: str | None = None) -> None:
    caller = Caller(tenant, f"oauth:{grant_id}")
    async with transaction(ctx, tenant) as conn:
        if client_id is not None and await conn.fetchval(GRANT_CLIENT, grant_id, tenant) != client_id:
            return  # RFC 7009: a client revokes only its own tokens
        hashes = await grants.revoke_in(conn, tenant, grant_id, ctx.clock(), why) or []
        await _audit_revoke(conn, caller, grant_id, why)
    await publish(ctx.redis, *(token_message(h) for h in hashes))


async def revoke(ctx: Context, token: str, client_id: str | None) -> None:
    """RFC 7009: a refresh or access token of a grant revokes the grant; anything else is ignored."""
    found: tuple[UUID, UUID] | None = None
    if tokens.is_well_formed(token, REFRESH_PREFIX):
        refresh_row = await _find_refresh(ctx, token)
        found = (refresh_row[1], refresh_row[2]) if refresh_row else None
    elif tokens.is_well_formed(token, tokens.ENDPOINT_PREFIX):
        async with transaction(ctx, None) as conn:
            row = await conn.fetchrow(FIND_ACCESS, tokens.digest(token, ctx.pepper))
        found = (row["tenant_id"], row["grant_id"]) if row else None
    if found is not None:
        await _revoke_grant(ctx, found[0], found[1], "revoked_by_client", client_id)
