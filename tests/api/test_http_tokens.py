"""Agent tokens: issued once, and revoked, rotated-away or expired tokens no longer resolve."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis

from control_plane import tokens
from control_plane.redis.invalidation import CHANNEL
from control_plane.services import endpoint_tokens, endpoints, identity
from control_plane.services.context import Caller, Context
from control_plane.settings import Settings
from tests.api.conftest import PASSWORD, Clock, signup

# What the gateway asks of the catalog, as the gateway's own role.
RESOLVE = """
SELECT endpoint_id FROM endpoint_tokens
WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
"""


@pytest.fixture
async def gateway(catalog_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(catalog_url, server_settings={"role": "berth_gateway"})
    yield conn
    await conn.close()


async def _resolves(gateway: asyncpg.Connection, settings: Settings, token: str) -> bool:
    token_hash = tokens.digest(token, settings.token_pepper_value)
    return await gateway.fetchval(RESOLVE, token_hash) is not None


async def test_revoked_and_rotated_tokens_stop_resolving(
    client: httpx.AsyncClient, gateway: asyncpg.Connection, settings: Settings, redis_client: aioredis.Redis,
) -> None:
    headers = await signup(client, "a@x.io")
    endpoint = (await client.post("/v1/endpoints", json={"name": "shop"}, headers=headers)).json()["id"]
    base = f"/v1/endpoints/{endpoint}/tokens"
    first = await client.post(base, json={"name": "agent", "scopes": ["mcp", "mcp:write"]}, headers=headers)
    assert first.status_code == 201 and first.json()["token"].startswith("smcp_")
    old = first.json()
    assert await _resolves(gateway, settings, old["token"])
    rotated = await client.post(f"{base}/{old['id']}/rotate", headers=headers)
    new = rotated.json()
    assert rotated.status_code == 201 and new["scopes"] == ["mcp", "mcp:write"]
    assert not await _resolves(gateway, settings, old["token"])
    assert await _resolves(gateway, settings, new["token"])
    async with redis_client.pubsub() as sub:
        await sub.subscribe(CHANNEL)
        await sub.get_message(timeout=1)
        assert (await client.delete(f"{base}/{new['id']}", headers=headers)).status_code == 204
        message = await sub.get_message(timeout=1)
    digest = tokens.digest(new["token"], settings.token_pepper_value)
    assert message is not None and message["data"] == f"token:{digest.hex()}".encode()
    assert not await _resolves(gateway, settings, new["token"])
    listed = (await client.get(base, headers=headers)).json()
    assert all(t["revoked_at"] for t in listed) and all("token" not in t for t in listed)


async def test_expired_token_does_not_resolve(
    ctx: Context, clock: Clock, gateway: asyncpg.Connection, settings: Settings,
) -> None:
    made = await identity.signup(ctx, "a@x.io", PASSWORD, "Acme")
    caller = Caller(made.tenant_id, "operator:alice")
    endpoint = await endpoints.create(ctx, caller, "shop")
    clock.now -= timedelta(hours=2)
    issued = await endpoint_tokens.issue(ctx, caller, endpoint.id, "agent", ["mcp"], expires_in=3600)
    assert issued.expires_at is not None and issued.expires_at < clock.now + timedelta(hours=2)
    assert not await _resolves(gateway, settings, issued.token)
    clock.now += timedelta(hours=2)
    fresh = await endpoint_tokens.issue(ctx, caller, endpoint.id, "agent", ["mcp"], expires_in=3600)
    assert await _resolves(gateway, settings, fresh.token)


async def test_bad_token_requests(client: httpx.AsyncClient) -> None:
    headers = await signup(client, "a@x.io")
    endpoint = (await client.post("/v1/endpoints", json={"name": "shop"}, headers=headers)).json()["id"]
    base = f"/v1/endpoints/{endpoint}/tokens"
    bad = [({"scopes": ["mcp:write"]}, "invalid_scopes"), ({"scopes": ["mcp", "mcp"]}, "invalid_scopes"),
           ({"expires_in": 1}, "invalid_request"), ({"scopes": ["admin"]}, "invalid_request")]
    for body, code in bad:
        answer = await client.post(base, json=body, headers=headers)
        assert (answer.status_code, answer.json()["error"]["code"]) == (422, code)
    await client.delete(f"/v1/endpoints/{endpoint}", headers=headers)
    closed = await client.post(base, json={}, headers=headers)
    assert (closed.status_code, closed.json()["error"]["code"]) == (409, "endpoint_not_live")
