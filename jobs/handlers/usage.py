"""Usage flush: the gateways' monthly Redis counters into ``usage_monthly`` (never lowering a count)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import redis.asyncio as aioredis

from control_plane.catalog.jobs import Job
from control_plane.redis import counters
from jobs.handlers.base import Handler, Progress, Resources

SCAN_COUNT = 500
MAX_KEYS = 50_000  # bound one pass; the rest waits for the next

UPSERT = """
INSERT INTO usage_monthly (tenant_id, endpoint_id, month, calls)
SELECT e.tenant_id, e.id, $2, $3 FROM endpoints e WHERE e.id = $1
ON CONFLICT (endpoint_id, month)
DO UPDATE SET calls = GREATEST(usage_monthly.calls, EXCLUDED.calls), updated_at = now()
"""

Count = tuple[UUID, date, int]


def parse(key: str, value: bytes | str | None) -> Count | None:
    """A month counter's endpoint, month and integer, or None for anything else."""
    found = counters.parse_month_key(key)
    if found is None or value is None:
        return None
    try:
        return found[0], found[1], int(value)
    except ValueError:
        return None


async def read_counters(redis: aioredis.Redis) -> list[Count]:
    keys: list[str] = []
    async for raw in redis.scan_iter(match=counters.MONTH_PATTERN, count=SCAN_COUNT):
        keys.append(raw.decode() if isinstance(raw, bytes) else str(raw))
        if len(keys) >= MAX_KEYS:
            break
    counts: list[Count] = []
    for start in range(0, len(keys), SCAN_COUNT):
        batch = keys[start:start + SCAN_COUNT]
        # A non-transactional pipeline: each GET may go to its own Cluster slot.
        async with redis.pipeline(transaction=False) as pipe:
            for key in batch:
                pipe.get(key)
            values = await pipe.execute()
        counts.extend(c for c in map(parse, batch, values) if c is not None)
    return counts


async def flush_usage(res: Resources, job: Job, progress: Progress) -> list[str]:
    counts = await read_counters(res.redis)
    if counts:
        await res.pool.executemany(UPSERT, counts)
    return [f"flushed {len(counts)} monthly usage counters"]


FLUSH_USAGE = Handler(flush_usage)
