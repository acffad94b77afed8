"""Who is calling: a ``bth_`` API key or a login JWT, told apart by format.

Entry point: ``resolve(ctx, bearer, request_id=)`` returns the ``Caller`` every
other service takes, or raises ``Unauthorized`` (bad, revoked, expired) or
``Forbidden`` (membership gone, account being deleted).
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import jwt

from control_plane import tokens
from control_plane.catalog.tenants import TenantStatus
from control_plane.errors import InvalidCredentials, MissingCredentials
from control_plane.services.context import Caller, Context, transaction
from control_plane.services.identity import (
    JWT_ALGORITHM,
    JWT_ISSUER,
    PIN_TENANT,
    TENANT_STATUS,
    active_membership,
)

FIND_KEY = "SELECT id, tenant_id, user_id, revoked_at FROM berth_find_api_key($1)"
TOUCH_KEY = "UPDATE api_keys SET last_used_at = $2 WHERE id = $1"

# One sentence for every bad credential: the answer must not say which part (key, tenant, expiry) failed.
BAD = "invalid or expired credentials"


async def resolve(ctx: Context, bearer: str | None, *, request_id: str | None = None) -> Caller:
    if not bearer:
        raise MissingCredentials("an Authorization: Bearer credential is required")
    if bearer.startswith(tokens.API_KEY_PREFIX):
        return await _from_api_key(ctx, bearer, request_id)
    return await _from_jwt(ctx, bearer, request_id)


async def _from_api_key(ctx: Context, key: str, request_id: str | None) -> Caller:
    if not tokens.is_well_formed(key, tokens.API_KEY_PREFIX):
        raise InvalidCredentials(BAD)
    async with transaction(ctx, None) as conn:
        row = await conn.fetchrow(FIND_KEY, tokens.digest(key, ctx.pepper))
        if row is None or row["revoked_at"] is not None:
            raise InvalidCredentials(BAD)
        await conn.execute(PIN_TENANT, str(row["tenant_id"]))
        if await conn.fetchval(TENANT_STATUS, row["tenant_id"]) != TenantStatus.ACTIVE:
            raise InvalidCredentials(BAD)
        await conn.execute(TOUCH_KEY, row["id"], ctx.clock())
    return Caller(row["tenant_id"], f"api_key:{row['id']}", request_id, row["user_id"])


def _claims(ctx: Context, token: str) -> tuple[UUID, UUID, datetime]:
    try:
        claims = jwt.decode(
            token, ctx.jwt_key, algorithms=[JWT_ALGORITHM], issuer=JWT_ISSUER,
            options={"require": ["exp", "iat", "sub", "tid"], "verify_exp": False, "verify_iat": False},
        )
        user, tenant = UUID(str(claims["sub"])), UUID(str(claims["tid"]))
        exp, iat = int(claims["exp"]), int(claims["iat"])
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidCredentials(BAD) from exc
    # Expiry is judged against the injected clock so tests need not sleep.
    if exp <= ctx.clock().timestamp():
        raise InvalidCredentials(BAD)
    return user, tenant, datetime.fromtimestamp(iat, UTC)


async def _from_jwt(ctx: Context, token: str, request_id: str | None) -> Caller:
    user, tenant, issued = _claims(ctx, token)
    async with transaction(ctx, None) as conn:
        await active_membership(conn, user, tenant)
    return Caller(tenant, f"user:{user}", request_id, user, issued)
