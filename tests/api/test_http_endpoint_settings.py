"""PATCH /v1/endpoints/{endpoint}: settings by id or slug, in every endpoint view, audited, broadcast."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import redis.asyncio as aioredis

from control_plane.redis.invalidation import CHANNEL
from tests.api.conftest import signup

DEFAULTS = {"allow_writes": False, "public_docs": False, "tool_cap": 20}


async def test_settings_change_by_slug_and_show_in_get_and_list(
    client: httpx.AsyncClient, catalog: asyncpg.Connection,
) -> None:
    headers = await signup(client, "a@x.io")
    made = (await client.post("/v1/endpoints", json={"name": "shop"}, headers=headers)).json()
    assert {k: made[k] for k in DEFAULTS} == DEFAULTS
    changed = await client.patch(f"/v1/endpoints/{made['slug']}", json={"allow_writes": True, "tool_cap": 5},
                                 headers=headers)
    assert changed.status_code == 200, changed.text
    want = {"allow_writes": True, "public_docs": False, "tool_cap": 5}
    assert {k: changed.json()[k] for k in want} == want
    again = await client.patch(f"/v1/endpoints/{made['id']}", json={"public_docs": True}, headers=headers)
    want["public_docs"] = True  # the others kept
    assert {k: again.json()[k] for k in want} == want
    [listed] = (await client.get("/v1/endpoints", headers=headers)).json()
    assert {k: listed[k] for k in want} == want
    details = await catalog.fetch("SELECT detail FROM audit_log WHERE action = 'endpoint.settings' "
                                  "ORDER BY id")
    assert [d["detail"] for d in details] == ['{"tool_cap": 5, "allow_writes": true}',
                                              '{"public_docs": true}']


async def test_bad_settings_are_422_and_another_tenants_endpoint_404(client: httpx.AsyncClient) -> None:
    mine, theirs = await signup(client, "a@x.io"), await signup(client, "b@x.io")
    slug = (await client.post("/v1/endpoints", json={"name": "shop"}, headers=theirs)).json()["slug"]
    for body in ({"tool_cap": 201}, {"tool_cap": -1}, {"allow_writes": "yes"}, {"plan": "pro"}):
        refused = await client.patch(f"/v1/endpoints/{slug}", json=body, headers=theirs)
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_request", body
    other = await client.patch(f"/v1/endpoints/{slug}", json={"tool_cap": 3}, headers=mine)
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
    shown = (await client.get(f"/v1/endpoints/{slug}", headers=theirs)).json()
    assert shown["tool_cap"] == 20


async def test_a_change_is_broadcast_to_every_gateway(client: httpx.AsyncClient, redis_url: str) -> None:
    headers = await signup(client, "a@x.io")
    made = (await client.post("/v1/endpoints", json={"name": "shop"}, headers=headers)).json()
    listener = aioredis.from_url(redis_url)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    try:
        await pubsub.subscribe(CHANNEL)
        await client.patch(f"/v1/endpoints/{made['slug']}", json={"allow_writes": True}, headers=headers)
        assert await _heard(pubsub, f"endpoint:{made['id']}".encode())
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await listener.aclose()


async def _heard(pubsub: Any, wanted: bytes, within: float = 3.0) -> bool:
    """Whether ``wanted`` arrives within the time (other suites may publish on the same server)."""
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        message = await pubsub.get_message(timeout=0.5)
        if message is not None and message["data"] == wanted:
            return True
    return False
