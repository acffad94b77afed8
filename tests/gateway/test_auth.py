"""Who may call: tokens bound to one endpoint, checked before any JSON-RPC, revocation seen in a second."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import redis.asyncio as aioredis

from control_plane.errors import Unauthorized
from control_plane.redis.invalidation import publish, token_message
from control_plane.settings import Settings
from control_plane.tokens import ENDPOINT_PREFIX, digest, generate
from data_plane.app import Gateway
from data_plane.auth import Authenticator
from tests.gateway import rpc
from tests.gateway.conftest import IssueToken, MakeEndpoint, bearer

CHALLENGE = 'Bearer realm="berth", error="invalid_token", resource_metadata="'


def assert_refused(response: httpx.Response) -> None:
    """401, a challenge naming the endpoint's metadata, and a JSON-RPC error body the SDKs can show."""
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith(CHALLENGE)
    assert "/.well-known/oauth-protected-resource/e/" in challenge and challenge.endswith('/mcp"')
    body = response.json()
    assert body["jsonrpc"] == "2.0" and body["error"]["code"] == -32001
    assert body["error"]["data"]["code"] == "invalid_token"


async def test_a_token_opens_only_its_own_endpoint(
    http: httpx.AsyncClient, make_endpoint: MakeEndpoint, issue_token: IssueToken,
) -> None:
    a, b = await make_endpoint(), await make_endpoint()
    token_a = await issue_token(a)
    assert (await http.post(a.path, json=rpc.call(), headers=bearer(token_a))).status_code == 200
    assert_refused(await http.post(b.path, json=rpc.call(), headers=bearer(token_a)))


async def test_missing_malformed_and_expired_tokens_are_refused(
    http: httpx.AsyncClient, make_endpoint: MakeEndpoint, issue_token: IssueToken,
) -> None:
    endpoint = await make_endpoint()
    expired = await issue_token(endpoint, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert_refused(await http.post(endpoint.path, json=rpc.call()))
    assert_refused(await http.post(endpoint.path, json=rpc.call(), headers={"Authorization": "Basic x"}))
    assert_refused(await http.post(endpoint.path, json=rpc.call(), headers=bearer(expired)))


async def test_a_bad_checksum_is_refused_without_a_catalog_query(
    gateway: Gateway, http: httpx.AsyncClient, make_endpoint: MakeEndpoint, issue_token: IssueToken,
) -> None:
    endpoint = await make_endpoint()
    token = await issue_token(endpoint)
    typo = token[:-1] + ("A" if token[-1] != "A" else "B")
    before = gateway.resources.auth.lookups
    for bad in (typo, "smcp_" + "x" * 49, "not-a-token"):
        assert_refused(await http.post(endpoint.path, json=rpc.call(), headers=bearer(bad)))
    assert gateway.resources.auth.lookups == before
    assert (await http.post(endpoint.path, json=rpc.call(), headers=bearer(token))).status_code == 200
    assert gateway.resources.auth.lookups == before + 1


async def test_a_revoked_token_is_refused_within_a_second(
    http: httpx.AsyncClient, make_endpoint: MakeEndpoint, issue_token: IssueToken,
    catalog: asyncpg.Connection, redis_client: aioredis.Redis, settings: Settings,
) -> None:
    endpoint = await make_endpoint()
    token = await issue_token(endpoint)
    assert (await http.post(endpoint.path, json=rpc.call(), headers=bearer(token))).status_code == 200
    token_hash = digest(token, settings.token_pepper_value)
    await catalog.execute("UPDATE endpoint_tokens SET revoked_at = now() WHERE token_hash = $1", token_hash)
    await publish(redis_client, token_message(token_hash))
    deadline = time.monotonic() + 1.0
    while True:  # polled with tools/list, which the burst ceiling does not count
        response = await http.post(endpoint.path, json=rpc.LIST, headers=bearer(token))
        if response.status_code == 401 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.02)
    assert_refused(response)


async def test_a_read_token_cannot_execute(
    http: httpx.AsyncClient, make_endpoint: MakeEndpoint, issue_token: IssueToken,
) -> None:
    endpoint = await make_endpoint()
    reader, writer = await issue_token(endpoint), await issue_token(endpoint, write=True)
    insert = rpc.call("execute", {"sql": "INSERT INTO items VALUES (4, 'davit')"})
    refused = await http.post(endpoint.path, json=insert, headers=bearer(reader))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]
    listed = await http.post(endpoint.path, json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
                             headers=bearer(reader))
    assert "execute" not in [tool["name"] for tool in listed.json()["result"]["tools"]]
    assert await rpc.item_count(http, endpoint.path, reader) == 3
    allowed = await http.post(endpoint.path, json=insert, headers=bearer(writer))
    assert allowed.status_code == 200 and allowed.json()["result"]["isError"] is False
    assert await rpc.item_count(http, endpoint.path, reader) == 4


async def test_concurrent_first_calls_of_a_token_make_one_lookup() -> None:
    token = generate(ENDPOINT_PREFIX)
    asked: list[bytes] = []

    async def lookup(token_hash: bytes) -> None:
        asked.append(token_hash)
        await asyncio.sleep(0.01)

    auth = Authenticator(lookup, b"pepper", ttl=5.0, clock=time.time)
    outcomes = await asyncio.gather(*(auth.check(token, "shop") for _ in range(8)), return_exceptions=True)
    assert all(isinstance(o, Unauthorized) for o in outcomes) and len(asked) == 1
