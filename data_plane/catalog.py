"""Everything the gateway reads from or writes to the catalog, through the narrow ``berth_gateway`` role.

Each function turns the driver's failures into ``Unavailable`` here, the one
choke point, so callers decide between "fail closed" and "serve from cache"
without knowing asyncpg.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar
from uuid import UUID

import asyncpg

from control_plane.catalog.db import CATALOG_DOWN, CATALOG_DOWN_MESSAGE, LOST_CONNECTION
from control_plane.catalog.endpoints import EndpointStatus
from control_plane.errors import Unavailable

ACQUIRE_TIMEOUT = 2.0
# Failures of reach (by SQLSTATE family), not of Berth's SQL: those mean "unavailable", the rest are bugs.
T = TypeVar("T")

LOOKUP = """
SELECT t.id, t.tenant_id, t.endpoint_id, t.scopes, t.expires_at, t.revoked_at,
       e.slug, e.plan, e.status, e.seal_key_id, e.sealed_owner_dsn, e.sealed_reader_dsn,
       e.allow_writes, e.tool_cap
FROM endpoint_tokens t JOIN endpoints e ON e.id = t.endpoint_id
WHERE t.token_hash = $1
"""
PUBLIC_ENDPOINT = """
SELECT id, tenant_id, slug, plan, seal_key_id, sealed_reader_dsn, allow_writes, tool_cap FROM endpoints
WHERE slug = $1 AND public_docs AND status = $2
"""
MONTH_CALLS = "SELECT calls FROM usage_monthly WHERE endpoint_id = $1 AND month = $2"
STAMP = """
UPDATE endpoint_tokens SET last_used_at = v.at
FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, at)
WHERE endpoint_tokens.id = v.id
"""
AUDIT = """
INSERT INTO audit_log (tenant_id, actor, action, target, outcome, endpoint_id, token_id, tool,
                       args_digest, duration_ms, row_count, created_at, request_id)
SELECT v.tenant_id, CASE WHEN v.support THEN 'support:' ELSE 'token:' END || v.token_id,
       CASE WHEN v.support THEN 'support.use' ELSE 'tool.call' END, v.endpoint_id::text, v.outcome,
       v.endpoint_id, CASE WHEN v.support THEN NULL ELSE v.token_id END, v.tool, v.digest, v.duration_ms,
       v.row_count, v.at, v.request_id
FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::real[],
            $8::int[], $9::timestamptz[], $10::text[], $11::bool[])
  AS v(tenant_id, endpoint_id, token_id, tool, outcome, digest, duration_ms, row_count, at, request_id,
       support)
"""
# A support credential (any state) and, when the slug names one of that same tenant's endpoints, the endpoint.
SUPPORT = """
SELECT s.id AS request_id, s.tenant_id, s.status AS access, s.expires_at,
       e.id, e.slug, e.plan, e.status, e.seal_key_id, e.sealed_reader_dsn, e.tool_cap
FROM support_requests s LEFT JOIN endpoints e ON e.tenant_id = s.tenant_id AND e.slug = $2
WHERE s.credential_hash = $1
"""


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One tool call: who, where, which tool, a digest of its arguments; never SQL or results."""

    tenant_id: UUID
    endpoint_id: UUID
    token_id: UUID
    tool: str
    outcome: str
    args_digest: str
    duration_ms: float
    row_count: int
    at: datetime
    request_id: str | None = None  # the HTTP request's X-Request-Id, echoed to the caller
    support: bool = False  # a use of a support credential (token_id is its request): support.use


async def _run(pool: asyncpg.Pool, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """``work`` on a pooled connection, once more on a fresh one if the first had been cut off."""
    for attempt in (1, 2):
        try:
            async with pool.acquire(timeout=ACQUIRE_TIMEOUT) as conn:
                return await work(conn)
        except LOST_CONNECTION as exc:
            # After a catalog restart the pool still holds dead connections; each is found on use.
            if attempt == 2:
                raise Unavailable(CATALOG_DOWN_MESSAGE) from exc
        except CATALOG_DOWN as exc:
            raise Unavailable(CATALOG_DOWN_MESSAGE) from exc
    raise AssertionError("unreachable")


async def find_token(pool: asyncpg.Pool, token_hash: bytes) -> asyncpg.Record | None:
    """The token row joined to its endpoint, or None for an unknown token."""
    row: asyncpg.Record | None = await _run(pool, lambda conn: conn.fetchrow(LOOKUP, token_hash))
    return row


async def find_support(pool: asyncpg.Pool, credential_hash: bytes, slug: str) -> asyncpg.Record | None:
    """A credential's support request joined to its tenant's endpoint ``slug`` (its columns None if none)."""
    row: asyncpg.Record | None = await _run(pool, lambda conn: conn.fetchrow(SUPPORT, credential_hash, slug))
    return row


async def find_public_endpoint(pool: asyncpg.Pool, slug: str) -> asyncpg.Record | None:
    """The endpoint whose owner made its llms.txt and manifest public, or None."""
    row: asyncpg.Record | None = await _run(
        pool, lambda conn: conn.fetchrow(PUBLIC_ENDPOINT, slug, EndpointStatus.READY))
    return row


async def month_calls(pool: asyncpg.Pool, endpoint_id: UUID, month: date) -> int:
    """Calls the catalog has recorded for the endpoint this month (0 when none)."""
    calls = await _run(pool, lambda conn: conn.fetchval(MONTH_CALLS, endpoint_id, month))
    return int(calls or 0)


async def stamp_last_used(pool: asyncpg.Pool, stamps: dict[UUID, datetime]) -> None:
    await _run(pool, lambda conn: conn.execute(STAMP, list(stamps), list(stamps.values())))


async def insert_audit(pool: asyncpg.Pool, rows: Sequence[AuditRow]) -> None:
    """One round trip for the whole batch (COPY is refused on tables under RLS)."""
    columns = (
        [r.tenant_id for r in rows], [r.endpoint_id for r in rows], [r.token_id for r in rows],
        [r.tool for r in rows], [r.outcome for r in rows], [r.args_digest for r in rows],
        [r.duration_ms for r in rows], [r.row_count for r in rows], [r.at for r in rows],
        [r.request_id for r in rows], [r.support for r in rows],
    )
    await _run(pool, lambda conn: conn.execute(AUDIT, *columns))
