"""From the API to the worker: endpoints made over HTTP are provisioned in the background, and
DELETE /v1/account stops the tenant's key at the 202 and ends with its databases gone."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from control_plane.api.app import serving
from control_plane.providers.local import LocalProvider
from control_plane.settings import Settings
from jobs.worker import running

PASSWORD = "correct horse battery"  # noqa: S105 - a test account's password


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(settings) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://berth.test") as http:
            yield http


async def settled(catalog: asyncpg.Connection, sql: str, want: object) -> None:
    for _ in range(300):
        if await catalog.fetchval(sql) == want:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never reached {want!r}: {sql}")


async def test_account_deletion_from_the_api_to_the_worker(
    client: httpx.AsyncClient, settings: Settings, server_url: str, catalog: asyncpg.Connection,
    installation: uuid.UUID,
) -> None:
    made = await client.post("/v1/signup", json={"email": "a@x.io", "password": PASSWORD, "tenant_name": "a"})
    assert made.status_code == 201, made.text
    headers = {"Authorization": f"Bearer {made.json()['api_key']['key']}"}
    for name in ("shop", "crm"):
        assert (await client.post("/v1/endpoints", json={"name": name}, headers=headers)).status_code == 202
    async with running(settings, periodic={}):
        await settled(catalog, "SELECT count(*) FROM endpoints WHERE status = 'ready'", 2)
        refs = [r[0] for r in await catalog.fetch("SELECT provider_ref FROM endpoints")]
        gone = await client.request("DELETE", "/v1/account", json={"password": PASSWORD}, headers=headers)
        assert gone.status_code == 202, gone.text
        assert (await client.get("/v1/endpoints", headers=headers)).status_code == 401
        await settled(catalog, "SELECT status FROM jobs WHERE kind = 'delete_account'", "done")
    provider = LocalProvider([server_url], installation=installation)
    assert [await provider.get_database(ref) for ref in refs] == [None, None]
    ack = await catalog.fetchval("SELECT detail FROM audit_log WHERE action = 'account.deleted'")
    assert ack == {"databases_removed": 2}
