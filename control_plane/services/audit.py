"""Audit rows written in the caller's transaction, and paging through a tenant's own rows.

Entry points: ``record(conn, caller, action, ...)`` inside a service's
transaction; ``write(conn, tenant_id, "system", action, ...)`` for the worker;
``page(ctx, caller, limit=, before=, action=, actor=)`` for ``GET /v1/audit`` and the dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from control_plane.errors import InvalidLimit
from control_plane.services.context import Caller, Context, transaction

MAX_PAGE = 200

INSERT = """
INSERT INTO audit_log (tenant_id, actor, action, target, outcome, request_id, endpoint_id, token_id, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
"""
PAGE = """
SELECT id, actor, action, target, outcome, request_id, created_at FROM audit_log
WHERE tenant_id = $1 AND ($2::bigint IS NULL OR id < $2)
  AND ($4::text IS NULL OR action = $4) AND ($5::text IS NULL OR actor = $5)
ORDER BY id DESC LIMIT $3
"""


@dataclass(frozen=True)
class AuditEntry:
    id: int
    actor: str
    action: str
    target: str | None
    outcome: str
    request_id: str | None
    created_at: datetime


async def write(
    conn: asyncpg.Connection | asyncpg.Pool, tenant_id: UUID | None, actor: str, action: str,
    target: str | UUID | None = None, *, outcome: str = "ok", request_id: str | None = None,
    endpoint_id: UUID | None = None, token_id: UUID | None = None, detail: dict[str, Any] | None = None,
) -> None:
    """One audit row; the worker writes as ``system``, and for no tenant when none owns the target."""
    await conn.execute(INSERT, tenant_id, actor, action, None if target is None else str(target), outcome,
                       request_id, endpoint_id, token_id, detail)


async def record(
    conn: asyncpg.Connection, caller: Caller, action: str, target: str | UUID | None = None, *,
    outcome: str = "ok", endpoint_id: UUID | None = None, token_id: UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """The row of a service call, as its caller."""
    await write(conn, caller.tenant_id, caller.actor, action, target, outcome=outcome,
                request_id=caller.request_id, endpoint_id=endpoint_id, token_id=token_id, detail=detail)


async def page(
    ctx: Context, caller: Caller, *, limit: int = 50, before: int | None = None,
    action: str | None = None, actor: str | None = None,
) -> list[AuditEntry]:
    """Newest first, only ``action`` / ``actor`` when given; pass the last id seen as ``before``."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidLimit(f"limit must be between 1 and {MAX_PAGE}")
    async with transaction(ctx, caller.tenant_id) as conn:
        rows = await conn.fetch(PAGE, caller.tenant_id, before, limit, action, actor)
    return [AuditEntry(**dict(row)) for row in rows]
