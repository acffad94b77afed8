"""Fixtures for the gateway: real endpoints on the local provider, tokens in the catalog, a running gateway.

Each endpoint is provisioned the way the worker does it (LocalProvider and
``provision_endpoint``), so the gateway unseals real DSNs and connects as the
endpoint's real owner and read-only roles.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import httpx
import httpx2
import pytest
import redis.asyncio as aioredis
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from control_plane.catalog.db import create_pool
from control_plane.providers.local import LocalProvider
from control_plane.sealing import Sealed, Sealer
from control_plane.settings import Settings
from control_plane.tokens import ENDPOINT_PREFIX, digest, generate
from data_plane.app import Gateway
from data_plane.lifespan import serving
from jobs.steps.lifecycle import provision_endpoint

ENDPOINT = """
WITH t AS (INSERT INTO tenants (id, name) VALUES ($2, 'acme'))
INSERT INTO endpoints (id, tenant_id, slug, name, plan, provider) VALUES ($1, $2, $3, 'shop', $4, 'local')
"""
TOKEN = """
INSERT INTO endpoint_tokens (id, tenant_id, endpoint_id, name, token_hash, prefix, scopes, expires_at)
SELECT $1, tenant_id, id, 'agent', $2, $3, $4, $5 FROM endpoints WHERE id = $6
"""
SHOP = """
CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO items VALUES (1, 'anchor'), (2, 'buoy'), (3, 'cleat');
"""
ORIGIN = "https://app.example"


@dataclass(frozen=True)
class Endpoint:
    id: uuid.UUID
    tenant_id: uuid.UUID
    slug: str
    owner_dsn: str

    @property
    def path(self) -> str:
        return f"/e/{self.slug}/mcp"


MakeEndpoint = Callable[..., Awaitable[Endpoint]]
IssueToken = Callable[..., Awaitable[str]]


@pytest.fixture
def gateway_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"allowed_origins": [ORIGIN], "statement_timeout_ms": 1000})


@pytest.fixture
async def make_endpoint(catalog: asyncpg.Connection, catalog_url: str, server_url: str,
                        redis_client: aioredis.Redis, settings: Settings) -> AsyncIterator[MakeEndpoint]:
    """Provision endpoints with an ``items`` table of three rows; drop their databases afterwards."""
    provider = LocalProvider([server_url], installation=uuid.uuid4())
    sealer = Sealer.from_setting(settings.seal_keys_value)
    worker = await create_pool(catalog_url, "berth_worker", min_size=0, max_size=2)
    made: list[uuid.UUID] = []

    async def make(plan: str = "free") -> Endpoint:
        endpoint_id, tenant_id, slug = uuid.uuid4(), uuid.uuid4(), f"shop-{uuid.uuid4().hex[:8]}"
        await catalog.execute(ENDPOINT, endpoint_id, tenant_id, slug, plan)
        made.append(endpoint_id)
        await provision_endpoint(worker, provider, sealer, redis_client, endpoint_id)
        row = await catalog.fetchrow("SELECT seal_key_id, sealed_owner_dsn FROM endpoints WHERE id = $1",
                                     endpoint_id)
        owner_dsn = sealer.open_dsn(Sealed(row["seal_key_id"], row["sealed_owner_dsn"]), endpoint_id, "owner")
        conn = await asyncpg.connect(owner_dsn)
        try:
            await conn.execute(SHOP)
        finally:
            await conn.close()
        return Endpoint(endpoint_id, tenant_id, slug, owner_dsn)

    yield make
    await worker.close()
    for endpoint_id in made:
        ref = await catalog.fetchval("SELECT provider_ref FROM endpoints WHERE id = $1", endpoint_id)
        if ref:
            await provider.delete_database(ref)


@pytest.fixture
def issue_token(catalog: asyncpg.Connection, settings: Settings) -> IssueToken:
    """Insert a token row as the control plane would; returns the token text."""
    async def issue(endpoint: Endpoint, *, write: bool = False, expires_at: datetime | None = None) -> str:
        token = generate(ENDPOINT_PREFIX)
        scopes = ["mcp", "mcp:write"] if write else ["mcp"]
        await catalog.execute(TOKEN, uuid.uuid4(), digest(token, settings.token_pepper_value),
                              token[:12], scopes, expires_at, endpoint.id)
        return token

    return issue


@pytest.fixture
async def gateway(gateway_settings: Settings, make_endpoint: MakeEndpoint) -> AsyncIterator[Gateway]:
    """A serving gateway, closed before the endpoints' databases are dropped."""
    async with serving(gateway_settings) as app:
        await app.resources.subscriber.ready.wait()
        yield app


@pytest.fixture
async def http(gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gw") as client:
        yield client


@asynccontextmanager
async def sdk_client(app: Gateway, endpoint: Endpoint, token: str, mode: str) -> AsyncIterator[Client]:
    """The official MCP SDK client over streamable HTTP, in ``mode``, against the gateway in process."""
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://gw",
                                  headers={"Authorization": f"Bearer {token}"}) as http_client:
        async with Client(streamable_http_client(f"http://gw{endpoint.path}", http_client=http_client),
                          mode=mode) as client:
            yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}

