"""The outbox side of the job queue: enqueue in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from control_plane.catalog.jobs.kinds import Kind

ENQUEUE = """
INSERT INTO jobs (tenant_id, kind, payload, run_at)
VALUES ($1, $2, $3, coalesce($4, now()))
RETURNING id
"""


async def enqueue(
    conn: asyncpg.Connection,
    kind: Kind,
    payload: dict[str, Any],
    *,
    tenant_id: UUID | None = None,
    run_at: datetime | None = None,
) -> int:
    """Insert a job in the caller's transaction, so it exists iff the state change commits."""
    job_id: int = await conn.fetchval(ENQUEUE, tenant_id, Kind(kind).value, payload, run_at)
    return job_id
