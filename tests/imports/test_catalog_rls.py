"""The imports table is tenant-owned: RLS forced, the API role sees only its tenant's rows."""

from __future__ import annotations

import uuid

import asyncpg

from control_plane.catalog.db import create_pool, tenant_transaction

TENANT = "INSERT INTO tenants (id, name) VALUES ($1, 'acme')"
ENDPOINT = """
INSERT INTO endpoints (id, tenant_id, slug, name, plan, provider) VALUES ($1, $2, $3, 'shop', 'free', 'local')
"""
IMPORT = """
INSERT INTO imports (id, tenant_id, endpoint_id, format, table_name, mode, actor)
VALUES ($1, $2, $3, 'csv', 't', 'create', 'test')
"""


async def test_imports_are_isolated_by_tenant(catalog: asyncpg.Connection, catalog_url: str) -> None:
    tenants = [uuid.uuid4(), uuid.uuid4()]
    for tenant in tenants:
        endpoint = uuid.uuid4()
        await catalog.execute(TENANT, tenant)
        await catalog.execute(ENDPOINT, endpoint, tenant, uuid.uuid4().hex)
        await catalog.execute(IMPORT, uuid.uuid4(), tenant, endpoint)
    forced = await catalog.fetchval("SELECT relforcerowsecurity FROM pg_class WHERE relname = 'imports'")
    assert forced is True
    pool = await create_pool(catalog_url, "berth_api", min_size=0, max_size=1)
    try:
        async with tenant_transaction(pool, tenants[0]) as conn:
            assert await conn.fetchval("SELECT array_agg(tenant_id) FROM imports") == [tenants[0]]
        async with tenant_transaction(pool, None) as conn:
            assert await conn.fetchval("SELECT count(*) FROM imports") == 0
    finally:
        await pool.close()
