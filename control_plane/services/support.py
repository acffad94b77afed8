"""Support access: an operator asks, the tenant's owner approves for at most 24 hours (or refuses), and the
credential then opens only the support path, read-only, each use audited in the tenant's log.

Entry points: ``request(pool, tenant_id, actor, reason, clock=)`` (the
operator, on the worker pool; returns the ``bsup_`` credential, shown once and
inert until approved); ``list_requests``, ``approve(ctx, caller, id, hours)``,
``refuse`` and ``revoke`` (the owner, through /v1); ``resolve(ctx, credential,
use=)`` turns a credential into a support caller for its tenant, audits the use
as ``support.use``, and answers 401 unless the request is approved and unexpired
by the clock at that moment, so expiry and revocation end it at once. The
caller it returns acts as ``support:<request id>``, which the role table reads
as a viewer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from control_plane import tokens
from control_plane.catalog.tenancy import SupportStatus
from control_plane.catalog.tenants import TenantStatus
from control_plane.errors import InvalidCredentials, InvalidDuration, InvalidInput, NotFound
from control_plane.redis.invalidation import publish, token_message
from control_plane.services import audit
from control_plane.services.context import Caller, Context, transaction
from control_plane.services.identity import PIN_TENANT
from control_plane.services.permissions import SUPPORT_ACTOR, Permission, check

PREFIX = tokens.SUPPORT_PREFIX
MAX_HOURS = 24

TENANT = "SELECT 1 FROM tenants WHERE id = $1 AND status = $2"
INSERT = """
INSERT INTO support_requests (id, tenant_id, operator, reason, credential_hash, requested_at)
VALUES ($1, $2, $3, $4, $5, $6)
"""
COLUMNS = "id, operator, reason, status, requested_at, decided_by, decided_at, expires_at, revoked_at"
LIST = f"SELECT {COLUMNS} FROM support_requests WHERE tenant_id = $1 ORDER BY requested_at DESC LIMIT 200"
DECIDE = f"""
UPDATE support_requests SET status = $3, decided_by = $4, decided_at = $5, expires_at = $6
WHERE id = $1 AND tenant_id = $2 AND status = $7 RETURNING {COLUMNS}
"""
REVOKE = f"""
UPDATE support_requests SET status = $4, revoked_at = $3
WHERE id = $1 AND tenant_id = $2 AND status = $5 RETURNING {COLUMNS}, credential_hash
"""
FIND = "SELECT id, tenant_id, status, expires_at FROM berth_find_support_credential($1)"


@dataclass(frozen=True)
class SupportRequest:
    id: UUID
    operator: str
    reason: str
    status: str
    requested_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class Requested:
    request: SupportRequest
    credential: str  # shown once, to the operator


def _view(row: asyncpg.Record) -> SupportRequest:
    return SupportRequest(**{k: row[k] for k in COLUMNS.split(", ")})


async def request(pool: asyncpg.Pool, tenant_id: UUID, actor: str, reason: str, *, pepper: bytes,
                  clock: Callable[[], datetime]) -> Requested:
    """The operator's ask, audited in the tenant's log; the credential works only once approved."""
    reason = reason.strip()
    if not 1 <= len(reason) <= 500:
        raise InvalidInput("a reason of 1 to 500 characters is required")
    credential, request_id, now = tokens.generate(PREFIX), uuid.uuid4(), clock()
    async with pool.acquire() as conn, conn.transaction():
        if await conn.fetchval(TENANT, tenant_id, TenantStatus.ACTIVE) is None:
            raise NotFound("no such active tenant")
        credential_hash = tokens.digest(credential, pepper)
        await conn.execute(INSERT, request_id, tenant_id, actor, reason, credential_hash, now)
        await audit.write(conn, tenant_id, actor, "support.request", request_id, detail={"reason": reason})
    return Requested(SupportRequest(request_id, actor, reason, SupportStatus.REQUESTED, now), credential)


async def list_requests(ctx: Context, caller: Caller) -> list[SupportRequest]:
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.READ)
        return [_view(r) for r in await conn.fetch(LIST, caller.tenant_id)]


async def decide(ctx: Context, caller: Caller, request_id: UUID, *, hours: int | None) -> SupportRequest:
    """Approve for ``hours`` (1 to 24) or, with None, refuse; only a pending request."""
    if hours is not None and not 1 <= hours <= MAX_HOURS:
        raise InvalidDuration(f"support access lasts 1 to {MAX_HOURS} hours")
    now = ctx.clock()
    status, expires = ((SupportStatus.APPROVED, now + timedelta(hours=hours)) if hours
                       else (SupportStatus.REFUSED, None))
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.SUPPORT)
        row = await conn.fetchrow(DECIDE, request_id, caller.tenant_id, status, caller.actor, now, expires,
                                  SupportStatus.REQUESTED)
        if row is None:
            raise NotFound("no such pending support request")
        action = "support.approve" if hours else "support.refuse"
        await audit.record(conn, caller, action, request_id, detail={"hours": hours} if hours else None)
    return _view(row)


async def revoke(ctx: Context, caller: Caller, request_id: UUID) -> SupportRequest:
    """Ends approved access at once, on the control plane and on every gateway."""
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.SUPPORT)
        row = await conn.fetchrow(REVOKE, request_id, caller.tenant_id, ctx.clock(), SupportStatus.REVOKED,
                                  SupportStatus.APPROVED)
        if row is None:
            raise NotFound("no such approved support request")
        await audit.record(conn, caller, "support.revoke", request_id)
    await publish(ctx.redis, token_message(row["credential_hash"]))
    return _view(row)


async def resolve(ctx: Context, credential: str | None, *, use: str, request_id: str | None = None) -> Caller:
    """The support caller of an approved, unexpired credential, its use audited; 401 otherwise."""
    bad = InvalidCredentials("a support credential that is approved and unexpired is required")
    if not credential or not tokens.is_well_formed(credential, PREFIX):
        raise bad
    async with transaction(ctx, None) as conn:
        row = await conn.fetchrow(FIND, tokens.digest(credential, ctx.pepper))
        if row is None or row["status"] != SupportStatus.APPROVED or row["expires_at"] <= ctx.clock():
            raise bad
        await conn.execute(PIN_TENANT, str(row["tenant_id"]))
        caller = Caller(row["tenant_id"], f"{SUPPORT_ACTOR}{row['id']}", request_id)
        await audit.record(conn, caller, "support.use", row["id"], detail={"path": use})
    return caller
