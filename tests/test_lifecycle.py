"""The worker's endpoint steps against a real catalog: provision, fail, tear down, repeat safely."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
import redis.asyncio as aioredis

from control_plane.catalog.db import create_pool
from control_plane.errors import ProviderError
from control_plane.providers.fake import FakeProvider
from control_plane.sealing import Sealed, Sealer
from control_plane.settings import Settings
from control_plane.tokens import ENDPOINT_PREFIX, digest, generate
from jobs.steps.lifecycle import mark_failed, provision_endpoint, teardown_endpoint

NEW_ENDPOINT = """
WITH t AS (INSERT INTO tenants (id, name) VALUES ($2, 'acme'))
INSERT INTO endpoints (id, tenant_id, slug, name, plan, provider) VALUES ($1, $2, $3, 'shop', 'free', 'fake')
"""
TOKEN = """
INSERT INTO endpoint_tokens (id, tenant_id, endpoint_id, name, token_hash, prefix, scopes)
SELECT $1, tenant_id, id, 'agent', $2, 'smcp_x', ARRAY['mcp'] FROM endpoints WHERE id = $3
"""


@pytest.fixture
async def worker(catalog_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(catalog_url, "berth_worker", min_size=0, max_size=2)
    yield pool
    await pool.close()


@pytest.fixture
async def endpoint(catalog: asyncpg.Connection) -> uuid.UUID:
    endpoint_id = uuid.uuid4()
    await catalog.execute(NEW_ENDPOINT, endpoint_id, uuid.uuid4(), uuid.uuid4().hex)
    return endpoint_id


@pytest.fixture
def sealer(settings: Settings) -> Sealer:
    return Sealer.from_setting(settings.seal_keys_value)


async def test_provision_seals_both_dsns_and_is_ready(
    worker: asyncpg.Pool, catalog: asyncpg.Connection, redis_client: aioredis.Redis,
    sealer: Sealer, endpoint: uuid.UUID,
) -> None:
    provider = FakeProvider()
    said = await provision_endpoint(worker, provider, sealer, redis_client, endpoint)
    row = await catalog.fetchrow("SELECT * FROM endpoints WHERE id = $1", endpoint)
    assert row["status"] == "ready" and "ready" in said
    owner = sealer.open(Sealed(row["seal_key_id"], row["sealed_owner_dsn"]), f"{endpoint}:owner")
    assert owner == f"postgresql://owner@fake/{row['provider_ref']}"
    with pytest.raises(Exception, match="does not open"):
        sealer.open(Sealed(row["seal_key_id"], row["sealed_owner_dsn"]), f"{endpoint}:reader")
    again = await provision_endpoint(worker, provider, sealer, redis_client, endpoint)
    assert "nothing to provision" in again
    assert [c[0] for c in provider.calls] == ["create_database"]


async def test_permanent_provider_error_fails_with_a_reason(
    worker: asyncpg.Pool, catalog: asyncpg.Connection, redis_client: aioredis.Redis,
    sealer: Sealer, endpoint: uuid.UUID,
) -> None:
    provider = FakeProvider(fail={"create_database": [ProviderError("quota exceeded", retryable=False)]})
    await provision_endpoint(worker, provider, sealer, redis_client, endpoint)
    row = await catalog.fetchrow("SELECT status, failure_reason FROM endpoints WHERE id = $1", endpoint)
    assert (row["status"], row["failure_reason"]) == ("failed", "quota exceeded")
    actions = await catalog.fetch("SELECT action, outcome FROM audit_log WHERE endpoint_id = $1", endpoint)
    assert [(a["action"], a["outcome"]) for a in actions] == [("endpoint.failed", "error")]


async def test_retryable_provider_error_leaves_it_provisioning(
    worker: asyncpg.Pool, catalog: asyncpg.Connection, redis_client: aioredis.Redis,
    sealer: Sealer, endpoint: uuid.UUID,
) -> None:
    provider = FakeProvider(fail={"create_database": [ProviderError("503", retryable=True)]})
    with pytest.raises(ProviderError):
        await provision_endpoint(worker, provider, sealer, redis_client, endpoint)
    assert await catalog.fetchval("SELECT status FROM endpoints WHERE id = $1", endpoint) == "provisioning"
    await provision_endpoint(worker, provider, sealer, redis_client, endpoint)
    assert await catalog.fetchval("SELECT status FROM endpoints WHERE id = $1", endpoint) == "ready"
    await mark_failed(worker, endpoint, "too late")
    assert await catalog.fetchval("SELECT status FROM endpoints WHERE id = $1", endpoint) == "ready"


async def test_teardown_revokes_deletes_verifies_and_scrubs(
    worker: asyncpg.Pool, catalog: asyncpg.Connection, redis_client: aioredis.Redis,
    sealer: Sealer, endpoint: uuid.UUID,
) -> None:
    provider = FakeProvider()
    await provision_endpoint(worker, provider, sealer, redis_client, endpoint)
    token_hash = digest(generate(ENDPOINT_PREFIX), b"pepper")
    await catalog.execute(TOKEN, uuid.uuid4(), token_hash, endpoint)
    ref = await catalog.fetchval("SELECT provider_ref FROM endpoints WHERE id = $1", endpoint)
    provider.fail["delete_database"] = [ProviderError("timeout", retryable=True)]
    with pytest.raises(ProviderError):
        await teardown_endpoint(worker, provider, redis_client, endpoint)
    assert await catalog.fetchval("SELECT revoked_at IS NOT NULL FROM endpoint_tokens") is True
    assert await catalog.fetchval("SELECT status FROM endpoints WHERE id = $1", endpoint) == "deleting"
    await teardown_endpoint(worker, provider, redis_client, endpoint)
    row = await catalog.fetchrow("SELECT * FROM endpoints WHERE id = $1", endpoint)
    assert row["status"] == "deleted" and row["sealed_owner_dsn"] is None and row["sealed_reader_dsn"] is None
    assert ref not in provider.databases
    assert "already deleted" in await teardown_endpoint(worker, provider, redis_client, endpoint)


async def test_teardown_refuses_to_finish_while_the_database_remains(
    worker: asyncpg.Pool, catalog: asyncpg.Connection, redis_client: aioredis.Redis,
    sealer: Sealer, endpoint: uuid.UUID,
) -> None:
    class Stubborn(FakeProvider):
        async def delete_database(self, ref: str) -> None:
            self.calls.append(("delete_database", ref))

    provider = Stubborn()
    await provision_endpoint(worker, provider, sealer, redis_client, endpoint)
    with pytest.raises(ProviderError, match="still present"):
        await teardown_endpoint(worker, provider, redis_client, endpoint)
    assert await catalog.fetchval("SELECT status FROM endpoints WHERE id = $1", endpoint) == "deleting"
