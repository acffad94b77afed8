"""Account deletion of a tenant with 20 endpoints on the local provider: every database and role gone,
the catalog rows gone, the audit trail kept, and the acknowledgement says 20."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
import redis.asyncio as aioredis

from control_plane.providers.local import LocalProvider, role_names
from control_plane.sealing import Sealer
from tests.jobs.conftest import Clock, add_endpoint, add_job, job_row, resources, runner
from tests.jobs.test_faults import Flaky, drain, http_5xx

ENDPOINTS = 20
USER = "INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'x')"
MEMBER = "INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)"
API_KEY = """
INSERT INTO api_keys (id, tenant_id, user_id, name, key_hash, prefix) VALUES ($1, $2, $3, 'ci', $4, 'bth_x')
"""
TOKEN = """
INSERT INTO endpoint_tokens (id, tenant_id, endpoint_id, name, token_hash, prefix, scopes)
VALUES ($1, $2, $3, 'agent', $4, 'smcp_x', ARRAY['mcp'])
"""
USAGE = "INSERT INTO usage_monthly (tenant_id, endpoint_id, month, calls) VALUES ($1, $2, '2026-11-01', 5)"


@pytest.fixture
async def local(server_url: str) -> AsyncIterator[LocalProvider]:
    provider = LocalProvider([server_url], installation=uuid.uuid4())
    yield provider
    await provider.aclose()


async def people(catalog: asyncpg.Connection, tenant: uuid.UUID,
                 other: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    """An owner only in this tenant, and a member who also belongs to another tenant."""
    owner, member = uuid.uuid4(), uuid.uuid4()
    await catalog.execute("INSERT INTO tenants (id, name) VALUES ($1, 'other')", other)
    for user in (owner, member):
        await catalog.execute(USER, user, f"{user.hex}@example.com")
    await catalog.execute(MEMBER, tenant, owner, "owner")
    await catalog.execute(MEMBER, tenant, member, "member")
    await catalog.execute(MEMBER, other, member, "owner")
    await catalog.execute(API_KEY, uuid.uuid4(), tenant, owner, os.urandom(32))
    return owner, member


async def in_cluster(server_url: str, local: LocalProvider, endpoints: list[uuid.UUID]) -> tuple[int, int]:
    names = [local.database_name(e) for e in endpoints]
    roles = [r for n in names for r in role_names(n)]
    conn = await asyncpg.connect(server_url)
    try:
        dbs = await conn.fetchval("SELECT count(*) FROM pg_database WHERE datname = ANY($1)", names)
        return dbs, await conn.fetchval("SELECT count(*) FROM pg_roles WHERE rolname = ANY($1)", roles)
    finally:
        await conn.close()


async def test_account_deletion_removes_all_20_databases_and_roles(
    local: LocalProvider, server_url: str, pool: asyncpg.Pool, catalog: asyncpg.Connection,
    redis_client: aioredis.Redis, sealer: Sealer, clock: Clock,
) -> None:
    tenant, other = uuid.uuid4(), uuid.uuid4()
    endpoints = [await add_endpoint(catalog, tenant) for _ in range(ENDPOINTS)]
    owner, member = await people(catalog, tenant, other)
    for endpoint in endpoints:
        await add_job(catalog, "provision", {"endpoint_id": str(endpoint)}, tenant)
        await catalog.execute(TOKEN, uuid.uuid4(), tenant, endpoint, os.urandom(32))
        await catalog.execute(USAGE, tenant, endpoint)
    work = runner(resources(pool, local, sealer, redis_client, clock), clock)
    await drain(work, clock, pool)
    assert await in_cluster(server_url, local, endpoints) == (ENDPOINTS, 2 * ENDPOINTS)

    job_id = await add_job(catalog, "delete_account", {"tenant_id": str(tenant)}, tenant)
    # A 5xx on the first delete, then the worker dies right after the next one: the count must hold.
    flaky = Flaky(local, before={"delete_database": [http_5xx()]}, after={"delete_database": 1})
    await drain(runner(resources(pool, flaky, sealer, redis_client, clock), clock, "w2"), clock, pool)

    assert await in_cluster(server_url, local, endpoints) == (0, 0)
    job = await job_row(catalog, job_id)
    assert (job["status"], job["result"]["removed"], job["result"]["total"]) == ("done", 20, 20)
    ack = await catalog.fetchrow("SELECT * FROM audit_log WHERE action = 'account.deleted'")
    assert (ack["tenant_id"], ack["detail"]) == (tenant, {"databases_removed": 20})
    for table in ("endpoints", "endpoint_tokens", "api_keys", "memberships", "usage_monthly"):
        assert await catalog.fetchval(f"SELECT count(*) FROM {table} WHERE tenant_id = $1", tenant) == 0
    assert await catalog.fetchval("SELECT status FROM tenants WHERE id = $1", tenant) == "deleted"
    users = await catalog.fetch("SELECT id FROM users WHERE id = ANY($1)", [owner, member])
    assert [u["id"] for u in users] == [member]  # still a member of another tenant
    assert await catalog.fetchval("SELECT count(*) FROM audit_log WHERE tenant_id = $1", tenant) > ENDPOINTS

    again = await add_job(catalog, "delete_account", {"tenant_id": str(tenant)}, tenant)
    await drain(work, clock, pool)
    assert (await job_row(catalog, again))["result"]["said"] == [f"account {tenant} is already deleted"]
