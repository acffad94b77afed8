"""The endpoint lifecycle: its ``Status`` and every transition of the ``endpoints.status`` column.

    provisioning ──> ready ──> deleting ──> deleted
         │             │          ^
         └──> failed <─┘          │   (every state but deleted can start deleting)

Every statement that moves an endpoint from one status to another is here, and
nothing else writes the column. A transition runs on the caller's connection
(inside its transaction) and returns what happened; the invalidations it implies
are in ``Moved.messages``, published by the caller once the transaction commits
(a gateway told before the commit could re-read the old row). Readers elsewhere
filter by binding these values (``status = $n``), never by writing them in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

import asyncpg

from control_plane.redis.invalidation import endpoint_message, token_message


class EndpointStatus(StrEnum):
    """Where an endpoint is in its life (the ``status`` column of ``endpoints``)."""

    PROVISIONING = "provisioning"
    READY = "ready"
    FAILED = "failed"
    DELETING = "deleting"
    DELETED = "deleted"


# Tokens can be issued for an endpoint still being made: they start working once it is ready.
LIVE = (EndpointStatus.PROVISIONING, EndpointStatus.READY)
# Gone, or on the way out: nothing new is done to it.
ENDING = (EndpointStatus.DELETING, EndpointStatus.DELETED)

READY = """
UPDATE endpoints SET status = 'ready', seal_key_id = $2, sealed_owner_dsn = $3, sealed_reader_dsn = $4,
  failure_reason = NULL, updated_at = now()
WHERE id = $1 AND status = 'provisioning'
"""
FAILED = """
UPDATE endpoints SET status = 'failed', failure_reason = $3, updated_at = now()
WHERE id = $1 AND status = ANY($2::text[]) RETURNING tenant_id
"""
START_DELETE = """
UPDATE endpoints SET status = 'deleting', updated_at = now()
WHERE id = $1 AND status <> 'deleted' RETURNING id
"""
START_DELETE_ALL = """
UPDATE endpoints SET status = 'deleting', updated_at = now()
WHERE tenant_id = $1 AND status <> 'deleted' RETURNING id
"""
DELETED = """
UPDATE endpoints SET status = 'deleted', seal_key_id = NULL, sealed_owner_dsn = NULL,
  sealed_reader_dsn = NULL, deleted_at = now(), updated_at = now()
WHERE id = $1
"""
REVOKE_TOKENS = """
UPDATE endpoint_tokens SET revoked_at = coalesce($2, now())
WHERE endpoint_id = $1 AND revoked_at IS NULL RETURNING token_hash
"""
REVOKE_TENANT_TOKENS = """
UPDATE endpoint_tokens SET revoked_at = coalesce($2, now())
WHERE tenant_id = $1 AND revoked_at IS NULL RETURNING token_hash
"""


@dataclass(frozen=True)
class Moved:
    """What a transition changed: the endpoints it moved, and the invalidations to publish after commit."""

    endpoint_ids: tuple[UUID, ...] = ()
    messages: tuple[str, ...] = field(default=())

    @property
    def happened(self) -> bool:
        return bool(self.endpoint_ids)

    def __add__(self, other: Moved) -> Moved:
        return Moved(self.endpoint_ids + other.endpoint_ids, self.messages + other.messages)


async def mark_ready(conn: asyncpg.Connection, endpoint_id: UUID, key_id: str, owner: bytes,
                     reader: bytes) -> Moved:
    """``provisioning -> ready`` with its sealed connection strings; nothing if it left provisioning."""
    done = await conn.execute(READY, endpoint_id, key_id, owner, reader)
    return _one(endpoint_id) if done.endswith(" 1") else Moved()


async def mark_failed(conn: asyncpg.Connection, endpoint_id: UUID, reason: str, *,
                      vanished: bool = False) -> UUID | None:
    """``provisioning -> failed`` (or ``ready -> failed`` when its database ``vanished``); the tenant's
    id when it moved. The reason is what the tenant reads, cut to the column's 500 characters."""
    source = [EndpointStatus.READY] if vanished else [EndpointStatus.PROVISIONING]
    tenant_id: UUID | None = await conn.fetchval(FAILED, endpoint_id, source, reason[:500])
    return tenant_id


async def start_delete(conn: asyncpg.Connection, endpoint_id: UUID, now: datetime | None = None) -> Moved:
    """``-> deleting`` and every token of the endpoint revoked as of ``now`` (the database's clock when
    None), in the caller's transaction."""
    moved = await conn.fetchval(START_DELETE, endpoint_id) is not None
    hashes = [r["token_hash"] for r in await conn.fetch(REVOKE_TOKENS, endpoint_id, now)]
    return Moved((endpoint_id,) if moved else (),
                 (endpoint_message(endpoint_id), *(token_message(h) for h in hashes)))


async def start_delete_all(conn: asyncpg.Connection, tenant_id: UUID, now: datetime) -> Moved:
    """Every endpoint of a tenant ``-> deleting`` and every one of its tokens revoked (account deletion)."""
    ids = tuple(r["id"] for r in await conn.fetch(START_DELETE_ALL, tenant_id))
    hashes = [r["token_hash"] for r in await conn.fetch(REVOKE_TENANT_TOKENS, tenant_id, now)]
    return Moved(ids, (*(endpoint_message(e) for e in ids), *(token_message(h) for h in hashes)))


async def revoke_tenant_tokens(conn: asyncpg.Connection, tenant_id: UUID,
                               now: datetime | None = None) -> Moved:
    """Every live token of a tenant revoked, endpoints untouched (a retried account deletion)."""
    hashes = [r["token_hash"] for r in await conn.fetch(REVOKE_TENANT_TOKENS, tenant_id, now)]
    return Moved((), tuple(token_message(h) for h in hashes))


async def mark_deleted(conn: asyncpg.Connection, endpoint_id: UUID) -> Moved:
    """``deleting -> deleted``: its database is gone; the sealed connection strings are scrubbed."""
    await conn.execute(DELETED, endpoint_id)
    return _one(endpoint_id)


def _one(endpoint_id: UUID) -> Moved:
    return Moved((endpoint_id,), (endpoint_message(endpoint_id),))
