"""Seal-key rotation re-seals every connection string under the newest key."""

from __future__ import annotations

import base64
import os
import uuid

import asyncpg
import pytest

from control_plane.catalog.db import create_pool
from control_plane.keys import count_stale, rotate
from control_plane.sealing import Sealed, Sealer, SealError

INSERT = """
INSERT INTO endpoints (id, tenant_id, slug, name, plan, provider, status,
                       seal_key_id, sealed_owner_dsn, sealed_reader_dsn)
VALUES ($1, $2, $3, 'ep', 'free', 'local', 'ready', $4, $5, $6)
"""


def key(key_id: str) -> str:
    return f"{key_id}:" + base64.b64encode(os.urandom(32)).decode()


async def seed(catalog: asyncpg.Connection, sealer: Sealer, count: int) -> list[uuid.UUID]:
    tenant = uuid.uuid4()
    await catalog.execute("INSERT INTO tenants (id, name) VALUES ($1, 't')", tenant)
    ids = []
    for n in range(count):
        endpoint = uuid.uuid4()
        owner = sealer.seal_dsn(f"postgresql://o{n}:pw@h/db", endpoint, "owner")
        reader = sealer.seal_dsn(f"postgresql://r{n}:pw@h/db", endpoint, "reader")
        await catalog.execute(INSERT, endpoint, tenant, endpoint.hex, owner.key_id, owner.blob,
                              reader.blob)
        ids.append(endpoint)
    return ids


async def test_rotate_reseals_under_newest_key(catalog: asyncpg.Connection, catalog_url: str) -> None:
    old = key("k1")
    ids = await seed(catalog, Sealer.from_setting(old), 3)
    new = key("k2")
    both = Sealer.from_setting(f"{new},{old}")
    assert await count_stale(catalog, both) == 3
    pool = await create_pool(catalog_url, "berth_worker")
    try:
        seen: list[int] = []
        report = await rotate(pool, both, seen.append)
    finally:
        await pool.close()
    assert report.resealed == 3 and len(seen) == 3
    assert await count_stale(catalog, both) == 0
    only_new = Sealer.from_setting(new)
    for endpoint in ids:
        row = await catalog.fetchrow("SELECT * FROM endpoints WHERE id = $1", endpoint)
        assert row is not None and row["seal_key_id"] == "k2"
        opened = only_new.open_dsn(Sealed("k2", row["sealed_owner_dsn"]), endpoint, "owner")
        assert opened.startswith("postgresql://o")


async def test_sealed_value_does_not_open_on_another_endpoint() -> None:
    sealer = Sealer.from_setting(key("k1"))
    sealed = sealer.seal("postgresql://o:pw@h/db", "a:owner")
    assert sealer.seal("same", "a:owner").blob != sealer.seal("same", "a:owner").blob
    with pytest.raises(SealError):
        sealer.open(sealed, "b:owner")
    with pytest.raises(SealError, match="unknown seal key"):
        Sealer.from_setting(key("k9")).open(sealed, "a:owner")
