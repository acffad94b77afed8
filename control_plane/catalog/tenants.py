"""The tenant lifecycle: its ``Status`` and every transition of the ``tenants.status`` column.

    active ──> deleting ──> deleted (a tombstone: the row stays so the audit trail keeps its owner)

The account deletion request moves ``active -> deleting`` and the worker's job
ends in ``deleted``; nothing else writes the column. API keys die with the
account, so their revocation for a whole tenant is here too. Readers elsewhere
bind these values (``status = $n``), never write them in SQL.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import asyncpg


class TenantStatus(StrEnum):
    """Where an account is in its life (the ``status`` column of ``tenants``)."""

    ACTIVE = "active"
    DELETING = "deleting"
    DELETED = "deleted"


STATUS = "SELECT status FROM tenants WHERE id = $1"
START_DELETE = "UPDATE tenants SET status = 'deleting' WHERE id = $1 AND status = 'active' RETURNING id"
# The worker's job may run for an account whose request it did not see: it seals the account off again.
SEAL_OFF = "UPDATE tenants SET status = 'deleting', deleted_at = coalesce(deleted_at, now()) WHERE id = $1"
TOMBSTONE = "UPDATE tenants SET status = 'deleted', name = 'deleted account' WHERE id = $1"
REVOKE_KEYS = """
UPDATE api_keys SET revoked_at = coalesce($2, now()) WHERE tenant_id = $1 AND revoked_at IS NULL
"""


async def status(conn: asyncpg.Connection | asyncpg.Pool, tenant_id: UUID) -> TenantStatus | None:
    """The tenant's status, or None when there is no such tenant."""
    found = await conn.fetchval(STATUS, tenant_id)
    return None if found is None else TenantStatus(found)


async def is_active(conn: asyncpg.Connection | asyncpg.Pool, tenant_id: UUID) -> bool:
    return await status(conn, tenant_id) == TenantStatus.ACTIVE


async def start_delete(conn: asyncpg.Connection, tenant_id: UUID, now: datetime) -> bool:
    """``active -> deleting`` and every API key revoked; False when it was not active."""
    if await conn.fetchval(START_DELETE, tenant_id) is None:
        return False
    await conn.execute(REVOKE_KEYS, tenant_id, now)
    return True


async def seal_off(conn: asyncpg.Connection, tenant_id: UUID, now: datetime | None = None) -> None:
    """``-> deleting`` whatever it was, keys revoked again: the worker's first step, safe to repeat."""
    await conn.execute(SEAL_OFF, tenant_id)
    await conn.execute(REVOKE_KEYS, tenant_id, now)


async def tombstone(conn: asyncpg.Connection, tenant_id: UUID) -> None:
    """``deleting -> deleted``: the name is dropped, the row kept for the audit trail."""
    await conn.execute(TOMBSTONE, tenant_id)
