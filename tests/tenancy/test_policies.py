"""The catalog's policies, not only the services, keep tenants apart on the tables of migration 0009."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from control_plane.catalog.db import create_pool, tenant_transaction

TENANT = "INSERT INTO tenants (id, name) VALUES ($1, 't')"
ENDPOINT = """
INSERT INTO endpoints (id, tenant_id, slug, name, plan, provider) VALUES ($1, $2, $3, 'e', 'free', 'local')
"""
SHARE = """
INSERT INTO endpoint_shares (id, tenant_id, endpoint_id, grantee_tenant_id, access, endpoint_name,
                             endpoint_slug, from_tenant_name, offered_by, offered_at)
VALUES ($1, $2, $3, $4, 'read', 'e', 'e', 't', 'test', now())
"""
INVITATION = """
INSERT INTO invitations (id, tenant_id, email, role, token_hash, invited_by, expires_at)
VALUES ($1, $2, 'x@example.com', 'member', $3, 'test', now() + interval '1 day')
"""
SUPPORT = """
INSERT INTO support_requests (id, tenant_id, operator, reason, credential_hash, requested_at)
VALUES ($1, $2, 'operator:o', 'why', $3, now())
"""
NEW_TABLES = ("invitations", "endpoint_shares", "support_requests")


@pytest.fixture
async def api_role(catalog_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(catalog_url, "berth_api", min_size=0, max_size=1)
    yield pool
    await pool.close()


async def test_rls_is_forced_and_each_tenant_sees_only_its_rows(catalog: asyncpg.Connection,
                                                                api_role: asyncpg.Pool) -> None:
    a, b, c, endpoint, share = (uuid.uuid4() for _ in range(5))
    for tenant in (a, b, c):
        await catalog.execute(TENANT, tenant)
    await catalog.execute(ENDPOINT, endpoint, a, uuid.uuid4().hex)
    await catalog.execute(SHARE, share, a, endpoint, b)
    await catalog.execute(INVITATION, uuid.uuid4(), a, uuid.uuid4().bytes)
    await catalog.execute(SUPPORT, uuid.uuid4(), a, uuid.uuid4().bytes)
    forced = await catalog.fetch(
        "SELECT relname FROM pg_class WHERE relforcerowsecurity AND relname = ANY($1)", list(NEW_TABLES))
    assert sorted(r["relname"] for r in forced) == sorted(NEW_TABLES)
    async with tenant_transaction(api_role, a) as conn:
        assert [await conn.fetchval(f"SELECT count(*) FROM {t}") for t in NEW_TABLES] == [1, 1, 1]
    async with tenant_transaction(api_role, b) as conn:  # the offer itself, and nothing else of A's
        assert [await conn.fetchval(f"SELECT count(*) FROM {t}") for t in NEW_TABLES] == [0, 1, 0]
        assert await conn.fetchval("SELECT count(*) FROM endpoints WHERE id = $1", endpoint) == 0
    async with tenant_transaction(api_role, c) as conn:
        assert [await conn.fetchval(f"SELECT count(*) FROM {t}") for t in NEW_TABLES] == [0, 0, 0]
    await catalog.execute("UPDATE endpoint_shares SET status = 'accepted' WHERE id = $1", share)
    async with tenant_transaction(api_role, b) as conn:  # accepted: the endpoint's row, read only
        assert await conn.fetchval("SELECT count(*) FROM endpoints WHERE id = $1", endpoint) == 1
        renamed = await conn.fetchval("UPDATE endpoints SET name = 'x' WHERE id = $1 RETURNING id", endpoint)
        assert renamed is None


async def test_the_grantee_cannot_rewrite_the_terms_or_write_for_the_offerer(
    catalog: asyncpg.Connection, api_role: asyncpg.Pool,
) -> None:
    a, b, endpoint, share = (uuid.uuid4() for _ in range(4))
    for tenant in (a, b):
        await catalog.execute(TENANT, tenant)
    await catalog.execute(ENDPOINT, endpoint, a, uuid.uuid4().hex)
    await catalog.execute(SHARE, share, a, endpoint, b)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with tenant_transaction(api_role, b) as conn:
            await conn.execute("UPDATE endpoint_shares SET access = 'read_write' WHERE id = $1", share)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with tenant_transaction(api_role, b) as conn:
            await conn.execute(SHARE, uuid.uuid4(), a, endpoint, b)
