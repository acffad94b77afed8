"""Sharing an endpoint: nothing shows before acceptance, tokens of the other tenant work after, and stop
on every gateway replica within a second of a revocation or a deletion; both logs carry the provenance."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from control_plane.settings import Settings
from data_plane.lifespan import serving
from tests.gateway import rpc
from tests.gateway.conftest import MakeEndpoint, gateway_settings, make_endpoint  # noqa: F401 - fixtures
from tests.tenancy.conftest import Tenant, join, login, new_tenant

Gateways = tuple[httpx.AsyncClient, httpx.AsyncClient]


@pytest.fixture
async def replicas(gateway_settings: Settings) -> AsyncIterator[Gateways]:  # noqa: F811 - the fixture
    """Two gateway processes' apps on one catalog and Redis; a long cache TTL, so only invalidation ends."""
    slow = gateway_settings.model_copy(update={"token_cache_ttl_seconds": 300})
    async with serving(slow) as one, serving(slow) as two:
        for app in (one, two):
            await app.resources.subscriber.ready.wait()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=one), base_url="http://gw1") as a, \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=two), base_url="http://gw2") as b:
            yield a, b


async def owned_endpoint(make: MakeEndpoint, catalog: asyncpg.Connection,
                         tenant: Tenant) -> tuple[str, str]:
    """A provisioned endpoint with an ``items`` table, moved to ``tenant``; its id and MCP path."""
    made = await make()
    await catalog.execute("UPDATE endpoints SET tenant_id = $2 WHERE id = $1", made.id, tenant.id)
    return str(made.id), made.path


async def status_within_a_second(http: httpx.AsyncClient, path: str, token: str, status: int) -> int:
    deadline = time.monotonic() + 1.0
    while True:
        answer = await http.post(path, json=rpc.call(), headers={"Authorization": f"Bearer {token}"})
        got = answer.status_code
        if got == status or time.monotonic() > deadline:
            return got
        await asyncio.sleep(0.02)


async def test_an_offer_shows_nothing_until_accepted_then_revocation_stops_every_replica(
    api: httpx.AsyncClient, berth_settings: Settings, make_endpoint: MakeEndpoint,  # noqa: F811
    catalog: asyncpg.Connection, replicas: Gateways,
) -> None:
    a, b = [await new_tenant(api, berth_settings, f"{n}@example.com") for n in "ab"]
    endpoint, path = await owned_endpoint(make_endpoint, catalog, a)
    offered = await api.post("/v1/shares", headers=a.headers,
                             json={"endpoint": endpoint, "access": "read", "to": "b@example.com"})
    assert offered.status_code == 201, offered.text
    share = offered.json()["id"]
    [seen] = (await api.get("/v1/shares", headers=b.headers)).json()
    assert (seen["direction"], seen["status"], seen["mcp_url"]) == ("incoming", "offered", None)
    assert (await api.get(f"/v1/endpoints/{endpoint}", headers=b.headers)).status_code == 404
    early = await api.post(f"/v1/shares/{share}/tokens", headers=b.headers, json={"name": "t"})
    assert early.status_code == 404
    assert (await api.post(f"/v1/shares/{share}/accept", headers=a.headers)).status_code == 404
    await join(api, berth_settings, b, "bv@example.com", "viewer")
    viewer = await login(api, "bv@example.com", b.id)
    assert (await api.post(f"/v1/shares/{share}/accept", headers=viewer)).status_code == 403
    accepted = await api.post(f"/v1/shares/{share}/accept", headers=b.headers)
    assert accepted.json()["status"] == "accepted" and accepted.json()["mcp_url"].endswith(path)
    writer = await api.post(f"/v1/shares/{share}/tokens", headers=b.headers,
                            json={"name": "t", "scopes": ["mcp", "mcp:write"]})
    assert writer.json()["error"]["code"] == "invalid_scopes"
    issued = await api.post(f"/v1/shares/{share}/tokens", headers=b.headers, json={"name": "t"})
    token = issued.json()["token"]
    for gateway in replicas:
        assert await rpc.item_count(gateway, path, token) == 3
    assert (await api.delete(f"/v1/shares/{share}", headers=b.headers)).status_code == 404
    assert (await api.delete(f"/v1/shares/{share}", headers=a.headers)).json()["status"] == "revoked"
    for gateway in replicas:
        assert await status_within_a_second(gateway, path, token, 401) == 401
    rows = await catalog.fetch("SELECT tenant_id::text, actor, action, detail FROM audit_log "
                               "WHERE action LIKE 'share.%' ORDER BY id")
    actions = {(r["tenant_id"], r["action"]) for r in rows}
    for tenant in (a.id, b.id):
        done = ("share.offer", "share.accept", "share.token.issue", "share.revoke")
        assert {(tenant, x) for x in done} <= actions
    offer_in_b = next(r for r in rows if r["tenant_id"] == b.id and r["action"] == "share.offer")
    assert json.loads(offer_in_b["detail"])["other_tenant"] == a.id
    assert offer_in_b["actor"].startswith("api_key:")


async def test_declined_offers_and_strangers_see_nothing(
    api: httpx.AsyncClient, berth_settings: Settings, make_endpoint: MakeEndpoint,  # noqa: F811
    catalog: asyncpg.Connection,
) -> None:
    a, b, c = [await new_tenant(api, berth_settings, f"{n}@example.com") for n in "abc"]
    endpoint, _ = await owned_endpoint(make_endpoint, catalog, a)
    nobody = await api.post("/v1/shares", headers=a.headers,
                            json={"endpoint": endpoint, "to": "nobody@example.com"})
    assert nobody.status_code == 404
    share = (await api.post("/v1/shares", headers=a.headers,
                            json={"endpoint": endpoint, "to": b.id})).json()["id"]
    assert (await api.get("/v1/shares", headers=c.headers)).json() == []
    for verb in ("accept", "decline"):
        assert (await api.post(f"/v1/shares/{share}/{verb}", headers=c.headers)).status_code == 404
    declined = await api.post(f"/v1/shares/{share}/decline", headers=b.headers)
    assert declined.json()["status"] == "declined"
    assert (await api.post(f"/v1/shares/{share}/tokens", headers=b.headers, json={})).status_code == 404


async def test_deleting_the_endpoint_stops_the_other_tenants_tokens_everywhere(
    api: httpx.AsyncClient, berth_settings: Settings, make_endpoint: MakeEndpoint,  # noqa: F811
    catalog: asyncpg.Connection, replicas: Gateways,
) -> None:
    a, b = [await new_tenant(api, berth_settings, f"{n}@example.com") for n in "ab"]
    endpoint, path = await owned_endpoint(make_endpoint, catalog, a)
    share = (await api.post("/v1/shares", headers=a.headers,
                            json={"endpoint": endpoint, "to": b.id, "access": "read_write"})).json()
    await api.post(f"/v1/shares/{share['id']}/accept", headers=b.headers)
    made = await api.post(f"/v1/shares/{share['id']}/tokens", headers=b.headers,
                          json={"name": "w", "scopes": ["mcp", "mcp:write"]})
    token = made.json()["token"]
    for gateway in replicas:
        assert await rpc.item_count(gateway, path, token) == 3
    assert (await api.delete(f"/v1/endpoints/{endpoint}", headers=a.headers)).status_code == 202
    for gateway in replicas:
        assert await status_within_a_second(gateway, path, token, 401) == 401
