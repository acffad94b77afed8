"""The outbox side of the job queue: enqueue in the caller's transaction.

Job kinds and payloads (the worker in ``jobs/`` claims and runs them):

    provision        {"endpoint_id": str}
    delete_endpoint  {"endpoint_id": str}
    delete_account   {"tenant_id": str}
    reconcile        {}
    flush_usage      {}
    import           {"import_id": str}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg

JobKind = Literal["provision", "delete_endpoint", "delete_account", "reconcile", "flush_usage", "import"]

ENQUEUE = """
INSERT INTO jobs (tenant_id, kind, payload, run_at)
VALUES ($1, $2, $3, coalesce($4, now()))
RETURNING id
"""


async def enqueue(
    conn: asyncpg.Connection,
    kind: JobKind,
    payload: dict[str, Any],
    *,
    tenant_id: UUID | None = None,
    run_at: datetime | None = None,
) -> int:
    """Insert a job in the caller's transaction, so it exists iff the state change commits."""
    job_id: int = await conn.fetchval(ENQUEUE, tenant_id, kind, payload, run_at)
    return job_id
