"""Calls per endpoint per month: Redis holds the live count, ``usage_monthly`` the flushed one.

Entry points: ``calls(ctx, conn, endpoint_ids, month)`` inside a service's
transaction, and ``report(ctx, caller, month)`` for ``GET /v1/usage``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

import asyncpg
import redis.asyncio as aioredis

from control_plane.catalog.endpoints import EndpointStatus
from control_plane.errors import InvalidMonth
from control_plane.plans import PLANS
from control_plane.redis.connect import REDIS_DOWN
from control_plane.redis.counters import month_key
from control_plane.services.context import Caller, Context, transaction

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$", re.ASCII)

STORED = "SELECT endpoint_id, calls FROM usage_monthly WHERE endpoint_id = ANY($1::uuid[]) AND month = $2"
ENDPOINTS = """
SELECT id, name, plan FROM endpoints WHERE tenant_id = $1 AND (status <> $3 OR deleted_at >= $2)
ORDER BY created_at, id
"""


@dataclass(frozen=True)
class EndpointUsage:
    endpoint_id: UUID
    name: str
    plan: str
    calls: int
    monthly_limit: int | None


def parse_month(text: str | None, now: datetime) -> date:
    if text is None:
        return date(now.year, now.month, 1)
    found = MONTH.fullmatch(text)
    if found is None or found[1] == "0000":
        raise InvalidMonth("month must look like YYYY-MM")
    return date(int(found[1]), int(found[2]), 1)


async def _live(client: aioredis.Redis, endpoint_ids: Sequence[UUID], month: date) -> list[int]:
    try:
        # GETs in a non-transactional pipeline, not MGET: on a Redis Cluster the keys live in many slots.
        async with client.pipeline(transaction=False) as pipe:
            for endpoint_id in endpoint_ids:
                pipe.get(month_key(endpoint_id, month))
            values = await pipe.execute()
    except REDIS_DOWN:
        return [0] * len(endpoint_ids)  # Redis down: the flushed counts are the answer
    return [int(v) if v is not None else 0 for v in values]


async def calls(
    ctx: Context, conn: asyncpg.Connection, endpoint_ids: Sequence[UUID], month: date
) -> dict[UUID, int]:
    """The larger of the live and the flushed count (the worker flushes with GREATEST too)."""
    if not endpoint_ids:
        return {}
    stored = {r["endpoint_id"]: r["calls"] for r in await conn.fetch(STORED, list(endpoint_ids), month)}
    live = await _live(ctx.redis, endpoint_ids, month)
    return {e: max(n, stored.get(e, 0)) for e, n in zip(endpoint_ids, live, strict=True)}


async def report(ctx: Context, caller: Caller, month: str | None = None) -> tuple[date, list[EndpointUsage]]:
    first = parse_month(month, ctx.clock())
    async with transaction(ctx, caller.tenant_id) as conn:
        rows = await conn.fetch(ENDPOINTS, caller.tenant_id, first, EndpointStatus.DELETED)
        counts = await calls(ctx, conn, [r["id"] for r in rows], first)
    limits = {name: plan.monthly_calls for name, plan in PLANS.items()}
    return first, [
        EndpointUsage(r["id"], r["name"], r["plan"], counts[r["id"]], limits[r["plan"]]) for r in rows
    ]
