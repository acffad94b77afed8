"""Seal-key rotation: re-seal every connection string under the newest key, resumably."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from control_plane.sealing import DsnPurpose, Sealed, Sealer

STALE = """
SELECT id, seal_key_id, sealed_owner_dsn, sealed_reader_dsn FROM endpoints
WHERE seal_key_id IS DISTINCT FROM $1 AND sealed_owner_dsn IS NOT NULL
ORDER BY id LIMIT $2
"""
COUNT_STALE = """
SELECT count(*) FROM endpoints
WHERE seal_key_id IS DISTINCT FROM $1 AND sealed_owner_dsn IS NOT NULL
"""
RESEAL = """
UPDATE endpoints SET seal_key_id = $2, sealed_owner_dsn = $3, sealed_reader_dsn = $4, updated_at = now()
WHERE id = $1 AND seal_key_id = $5
"""
BATCH = 100


@dataclass(frozen=True)
class RotationReport:
    resealed: int
    remaining: int


def _reseal(sealer: Sealer, endpoint_id: UUID, key_id: str, blob: bytes | None,
            purpose: DsnPurpose) -> bytes | None:
    if blob is None:
        return None
    dsn = sealer.open_dsn(Sealed(key_id, blob), endpoint_id, purpose)
    return sealer.seal_dsn(dsn, endpoint_id, purpose).blob


async def count_stale(conn: asyncpg.Connection, sealer: Sealer) -> int:
    count: int = await conn.fetchval(COUNT_STALE, sealer.newest_key_id)
    return count


async def rotate(
    pool: asyncpg.Pool, sealer: Sealer, progress: Callable[[int], None] = lambda n: None
) -> RotationReport:
    """Re-seal, one row per transaction, so an interrupted run resumes where it stopped."""
    resealed = 0
    while True:
        async with pool.acquire() as conn:
            rows = await conn.fetch(STALE, sealer.newest_key_id, BATCH)
            if not rows:
                return RotationReport(resealed, 0)
            for row in rows:
                endpoint_id, key_id = row["id"], row["seal_key_id"]
                owner = _reseal(sealer, endpoint_id, key_id, row["sealed_owner_dsn"], "owner")
                reader = _reseal(sealer, endpoint_id, key_id, row["sealed_reader_dsn"], "reader")
                await conn.execute(RESEAL, endpoint_id, sealer.newest_key_id, owner, reader, key_id)
                resealed += 1
                progress(1)
