"""Control-plane API keys (``bth_``): create, list, revoke; shown once, stored as an HMAC.

Entry points: ``create(ctx, caller, name)``, ``list_keys(ctx, caller)``,
``revoke(ctx, caller, key_id)``. A key acts for its tenant as
``api_key:<uuid>``; its owning user (if any) decides owner-only actions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from control_plane import tokens
from control_plane.errors import InvalidName, NotFound
from control_plane.services import audit, paging
from control_plane.services.context import Caller, Context, transaction
from control_plane.services.permissions import Permission, check

INSERT = """
INSERT INTO api_keys (id, tenant_id, user_id, name, key_hash, prefix) VALUES ($1, $2, $3, $4, $5, $6)
RETURNING created_at
"""
LIST = """
SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM api_keys WHERE tenant_id = $1
""" + paging.AFTER
REVOKE = """
UPDATE api_keys SET revoked_at = coalesce(revoked_at, $3) WHERE id = $1 AND tenant_id = $2 RETURNING id
"""


@dataclass(frozen=True)
class NewApiKey:
    id: UUID
    name: str
    key: str  # shown once
    prefix: str
    created_at: datetime


@dataclass(frozen=True)
class ApiKeyInfo:
    id: UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidName("name must be 1 to 100 characters")
    return name


async def insert(conn: asyncpg.Connection, ctx: Context, caller: Caller, name: str) -> NewApiKey:
    """In the caller's transaction: mint a key, store its HMAC, audit ``api_key.create``."""
    key, key_id = tokens.generate(tokens.API_KEY_PREFIX), uuid.uuid4()
    prefix = tokens.display_prefix(key)
    created = await conn.fetchval(
        INSERT, key_id, caller.tenant_id, caller.user_id, check_name(name), tokens.digest(key, ctx.pepper),
        prefix,
    )
    await audit.record(conn, caller, "api_key.create", key_id)
    return NewApiKey(key_id, name.strip(), key, prefix, created)


async def create(ctx: Context, caller: Caller, name: str) -> NewApiKey:
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.API_KEYS)
        return await insert(conn, ctx, caller, name)


async def list_keys(ctx: Context, caller: Caller, *, limit: int | None = None,
                    after: paging.Position | None = None) -> list[ApiKeyInfo]:
    """Oldest first; at most ``limit`` keys after ``after`` (every key without a limit)."""
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.API_KEYS)
        rows = await conn.fetch(LIST, caller.tenant_id, *paging.bind(after, limit))
    return [ApiKeyInfo(**dict(row)) for row in rows]


async def revoke(ctx: Context, caller: Caller, key_id: UUID) -> None:
    """Idempotent: revoking a revoked key keeps its first revocation time."""
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.API_KEYS)
        if await conn.fetchval(REVOKE, key_id, caller.tenant_id, ctx.clock()) is None:
            raise NotFound("no such API key")
        await audit.record(conn, caller, "api_key.revoke", key_id)
