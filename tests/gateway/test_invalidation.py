"""Invalidations on Redis reach every gateway process: tokens dropped, a deleting endpoint's pools closed."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
import httpx
import redis.asyncio as aioredis

from control_plane.redis.invalidation import endpoint_message, publish, token_message
from control_plane.settings import Settings
from data_plane.app import Gateway
from data_plane.invalidation import apply
from data_plane.lifespan import serving
from tests.gateway import rpc
from tests.gateway.conftest import IssueToken, MakeEndpoint, bearer


async def wait_for_status(http: httpx.AsyncClient, path: str, token: str, status: int) -> int:
    """Call until the answer has ``status``, for at most one second; returns the last status."""
    deadline = time.monotonic() + 1.0
    while True:
        got = (await http.post(path, json=rpc.LIST, headers=bearer(token))).status_code
        if got == status or time.monotonic() > deadline:
            return got
        await asyncio.sleep(0.02)


async def test_a_deleting_endpoint_is_closed_on_every_replica(
    gateway: Gateway, http: httpx.AsyncClient, gateway_settings: Settings, make_endpoint: MakeEndpoint,
    issue_token: IssueToken, catalog: asyncpg.Connection, redis_client: aioredis.Redis,
) -> None:
    endpoint = await make_endpoint()
    token = await issue_token(endpoint)
    async with serving(gateway_settings) as replica:
        await replica.resources.subscriber.ready.wait()
        transport = httpx.ASGITransport(app=replica)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as other:
            for client in (http, other):
                served = await client.post(endpoint.path, json=rpc.call(), headers=bearer(token))
                assert served.status_code == 200
            assert len(gateway.resources.pools) == 1 and len(replica.resources.pools) == 1
            await catalog.execute("UPDATE endpoints SET status = 'deleting' WHERE id = $1", endpoint.id)
            await publish(redis_client, endpoint_message(endpoint.id))
            for client in (http, other):
                assert await wait_for_status(client, endpoint.path, token, 401) == 401
            assert len(gateway.resources.pools) == 0 and len(replica.resources.pools) == 0


async def test_malformed_messages_are_ignored(gateway: Gateway) -> None:
    auth, pools = gateway.resources.auth, gateway.resources.pools
    assert "ignored" in apply("token:zz", auth, pools)
    assert "ignored" in apply("endpoint:not-a-uuid", auth, pools)
    assert "ignored" in apply("something-else", auth, pools)
    assert "dropped 0" in apply(token_message(b"\x00" * 32), auth, pools)
    assert "closed 0" in apply(endpoint_message(uuid.uuid4()), auth, pools)
