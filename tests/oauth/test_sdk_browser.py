"""The official MCP SDK's OAuth client against Berth on loopback, the forms submitted by headless Chromium.

Discovery (401 -> RFC 9728 -> RFC 8414), registration (a Client ID Metadata
Document served over HTTPS by a test CA, or RFC 7591), sign-in and consent in
a real browser, token exchange, tools/call; then a refresh, a reuse of the old
refresh token killing the grant, and a revocation through /v1/oauth/grants
refused by the gateway within a second.
"""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import httpx2
import pytest
import redis.asyncio as aioredis
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)
from pydantic import AnyUrl

from cli.server import RootApp
from control_plane.api.app import serving as control_serving
from control_plane.catalog.db import create_pool
from control_plane.providers.local import LocalProvider
from control_plane.sealing import Sealed, Sealer
from control_plane.settings import Settings
from data_plane.lifespan import serving as gateway_serving
from jobs.steps.lifecycle import provision_endpoint
from tests.oauth import live
from tests.oauth.conftest import PASSWORD

ENDPOINT = """
INSERT INTO endpoints (id, tenant_id, slug, name, plan, provider) VALUES ($1, $2, $3, 'shop', 'free', 'local')
"""
SHOP = """
CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO items VALUES (1, 'anchor'), (2, 'buoy');
"""
SEALED = "SELECT seal_key_id, sealed_owner_dsn, provider_ref FROM endpoints WHERE id = $1"
QUERY = {"sql": "SELECT name FROM items ORDER BY id"}


class Memory:
    """The SDK's token storage, in memory."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


@dataclass(frozen=True)
class Live:
    base: str
    mcp_url: str
    email: str
    api_key: str
    document_url: str
    callback: str
    redirects: live.Redirects


async def _provision(settings: Settings, provider: LocalProvider, redis: aioredis.Redis,
                     catalog: asyncpg.Connection, tenant_id: uuid.UUID, stack: list[str]) -> str:
    endpoint_id, slug = uuid.uuid4(), f"shop-{uuid.uuid4().hex[:8]}"
    await catalog.execute(ENDPOINT, endpoint_id, tenant_id, slug)
    sealer = Sealer.from_setting(settings.seal_keys_value)
    worker = await create_pool(settings.database_url_value, "berth_worker", min_size=0, max_size=2)
    try:
        await provision_endpoint(worker, provider, sealer, redis, endpoint_id)
    finally:
        await worker.close()
    row = await catalog.fetchrow(SEALED, endpoint_id)
    stack.append(row["provider_ref"])
    conn = await asyncpg.connect(sealer.open(Sealed(row["seal_key_id"], row["sealed_owner_dsn"]),
                                             f"{endpoint_id}:owner"))
    try:
        await conn.execute(SHOP)
    finally:
        await conn.close()
    return slug


@pytest.fixture
async def running(settings: Settings, server_url: str, redis_client: aioredis.Redis,
                  catalog: asyncpg.Connection, tmp_path: Path) -> AsyncIterator[Live]:
    port, doc_port, cb_port = live.free_port(), live.free_port(), live.free_port()
    base, callback = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{cb_port}/callback"
    document_url = f"https://localhost:{doc_port}/clients/berth-test.json"
    documents = {"/clients/berth-test.json": {
        "client_id": document_url, "client_name": "SDK test client (metadata document)",
        "redirect_uris": [callback], "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"], "token_endpoint_auth_method": "none"}}
    configured = settings.model_copy(update={"public_url": base, "port": port,
                                             "oauth_allow_private_clients": True})
    redirects, databases = live.Redirects(), []
    provider = LocalProvider([server_url], installation=uuid.uuid4())
    with live.tls_files(tmp_path) as (ca, tls):
        async with httpx.AsyncClient(verify=live.trusting(ca)) as fetch_http:
            control = functools.partial(control_serving, documents_http=fetch_http)
            root = RootApp(configured, control, gateway_serving, [])
            async with live.serve(root, port), live.serve(live.document_host(documents), doc_port, **tls), \
                    live.serve(redirects.app(), cb_port):
                async with httpx.AsyncClient(base_url=base) as http:
                    email = f"owner-{uuid.uuid4().hex[:6]}@example.com"
                    made = await http.post("/v1/signup", json={"email": email, "password": PASSWORD,
                                                                "tenant_name": "acme"})
                    tenant_id = uuid.UUID(made.json()["tenant"]["id"])
                slug = await _provision(configured, provider, redis_client, catalog, tenant_id, databases)
                yield Live(base, f"{base}/e/{slug}/mcp", email, made.json()["api_key"]["key"], document_url,
                           callback, redirects)
    for ref in databases:
        await provider.delete_database(ref)


def _provider(run: Live, driver: object, *, by_document: bool) -> tuple[OAuthClientProvider, Memory]:
    storage = Memory()

    async def redirect_handler(url: str) -> None:
        await asyncio.to_thread(live.sign_in_and_allow, driver, url, run.email, PASSWORD)  # type: ignore[arg-type]

    async def callback_handler() -> AuthorizationCodeResult:
        got = await asyncio.wait_for(run.redirects.received.get(), timeout=30)
        return AuthorizationCodeResult(code=got["code"], state=got.get("state"))

    metadata = OAuthClientMetadata(redirect_uris=[AnyUrl(run.callback)], client_name="SDK test client",
                                   grant_types=["authorization_code", "refresh_token"],
                                   response_types=["code"],
                                   token_endpoint_auth_method="none")
    provider = OAuthClientProvider(run.mcp_url, metadata, storage, redirect_handler, callback_handler,
                                   client_metadata_url=run.document_url if by_document else None)
    return provider, storage


async def _call(run: Live, provider: OAuthClientProvider) -> str:
    async with httpx2.AsyncClient(auth=provider, timeout=30) as http:
        async with Client(streamable_http_client(run.mcp_url, http_client=http)) as client:
            result = await client.call_tool("query", QUERY)
    assert result.is_error is False
    return str(result.structured_content)


async def _refused_within_a_second(run: Live, access_token: str) -> None:
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    started = time.monotonic()
    async with httpx.AsyncClient() as http:
        while True:
            headers = {"Authorization": f"Bearer {access_token}"}
            answer = await http.post(run.mcp_url, json=ping, headers=headers)
            if answer.status_code == 401:
                return
            assert time.monotonic() - started < 1.0, "the gateway still accepts a token of a revoked grant"
            await asyncio.sleep(0.02)


@pytest.fixture
def driver() -> AsyncIterator[object]:
    browser = live.chromium()
    yield browser
    browser.quit()


async def test_metadata_document_client_connects_refreshes_and_reuse_kills_the_grant(
    running: Live, driver: object,
) -> None:
    provider, storage = _provider(running, driver, by_document=True)
    assert "anchor" in await _call(running, provider)
    assert storage.client is not None and storage.client.client_id == running.document_url
    assert storage.tokens is not None and storage.tokens.access_token.startswith("smcp_")
    first = storage.tokens
    provider.context.token_expiry_time = time.time() - 1  # as if an hour had passed: the SDK refreshes
    assert "buoy" in await _call(running, provider)
    second = storage.tokens
    assert second.refresh_token != first.refresh_token and second.access_token != first.access_token
    async with httpx.AsyncClient(base_url=running.base) as http:
        reused = await http.post("/oauth/token", data={"grant_type": "refresh_token",
                                                       "refresh_token": first.refresh_token or "",
                                                       "client_id": running.document_url})
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    await _refused_within_a_second(running, second.access_token)


async def test_registered_client_connects_and_a_revoked_grant_is_refused_within_a_second(
    running: Live, driver: object,
) -> None:
    provider, storage = _provider(running, driver, by_document=False)
    assert "anchor" in await _call(running, provider)
    assert storage.client is not None and storage.client.client_id.startswith("bthc_")
    assert storage.tokens is not None
    headers = {"Authorization": f"Bearer {running.api_key}"}
    async with httpx.AsyncClient(base_url=running.base, headers=headers) as http:
        [grant] = (await http.get("/v1/oauth/grants")).json()
        assert grant["client_name"] == "SDK test client" and grant["scopes"] == ["mcp"]
        assert (await http.delete(f"/v1/oauth/grants/{grant['id']}")).status_code == 204
    await _refused_within_a_second(running, storage.tokens.access_token)
