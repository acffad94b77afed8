"""This installation's id, made at the first migrate: the label on every database it creates."""

from __future__ import annotations

from uuid import UUID

import asyncpg

INSTALLATION = "SELECT id FROM installation"


async def installation_id(conn: asyncpg.Pool | asyncpg.Connection) -> UUID:
    """The id kept in the catalog; every process of one installation reads the same one."""
    found: UUID | None = await conn.fetchval(INSTALLATION)
    if found is None:
        raise RuntimeError("the catalog has no installation id; run berth migrate")
    return found
