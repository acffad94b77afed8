"""Two tenants on the real local provider: own databases and roles, no way across, clean deletion."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis

from control_plane.catalog.db import create_pool
from control_plane.providers.factory import local_servers
from control_plane.providers.local import LocalProvider, role_names
from control_plane.sealing import Sealed, Sealer
from control_plane.settings import Settings
from jobs.steps.lifecycle import mark_failed, provision_endpoint, teardown_endpoint
from tests.api.conftest import signup

ROLES = "SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[]) ORDER BY rolname"
SEALED = "SELECT seal_key_id, sealed_owner_dsn, sealed_reader_dsn FROM endpoints WHERE id = $1"


@pytest.fixture
async def provider(settings: Settings, catalog: asyncpg.Connection,
                   installation: uuid.UUID) -> AsyncIterator[LocalProvider]:
    made = LocalProvider(local_servers(settings), installation=installation)
    yield made
    # Every endpoint this test's catalog knows loses its database on the shared server, pass or fail.
    for row in await catalog.fetch("SELECT id FROM endpoints"):
        await made.delete_database(made.database_name(row["id"]))
    await made.aclose()


async def _create(client: httpx.AsyncClient, headers: dict[str, str]) -> uuid.UUID:
    answer = await client.post("/v1/endpoints", json={"name": "shop"}, headers=headers)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["status"] == "provisioning" and body["mcp_url"].endswith(f"/e/{body['slug']}/mcp")
    return uuid.UUID(body["id"])


async def _owner_and_reader(catalog: asyncpg.Connection, sealer: Sealer, endpoint: uuid.UUID) -> list[str]:
    row = await catalog.fetchrow(SEALED, endpoint)
    return [sealer.open(Sealed(row["seal_key_id"], row[f"sealed_{kind}_dsn"]), f"{endpoint}:{kind}")
            for kind in ("owner", "reader")]


async def _admin_fetch(server_url: str, query: str, *args: object) -> list[str]:
    conn = await asyncpg.connect(server_url)
    try:
        return [r[0] for r in await conn.fetch(query, *args)]
    finally:
        await conn.close()


async def test_two_tenants_are_isolated_end_to_end(
    client: httpx.AsyncClient, catalog: asyncpg.Connection, catalog_url: str, server_url: str,
    redis_client: aioredis.Redis, settings: Settings, provider: LocalProvider,
) -> None:
    a, b = await signup(client, "a@x.io"), await signup(client, "b@x.io")
    ends = {"a": await _create(client, a), "b": await _create(client, b)}
    sealer = Sealer.from_setting(settings.seal_keys_value)
    worker = await create_pool(catalog_url, "berth_worker", min_size=0, max_size=1)
    try:
        for endpoint in ends.values():
            assert "ready" in await provision_endpoint(worker, provider, sealer, redis_client, endpoint)
        databases = {k: provider.database_name(e) for k, e in ends.items()}
        for name in databases.values():
            assert await _admin_fetch(server_url, ROLES, list(role_names(name))) == sorted(role_names(name))
        for dsn in await _owner_and_reader(catalog, sealer, ends["a"]):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await asyncpg.connect(dsn, database=databases["b"])
        await _tenant_views_are_separate(client, a, b, ends["a"], ends["b"])
        deleting = await client.delete(f"/v1/endpoints/{ends['a']}", headers=a)
        assert (deleting.status_code, deleting.json()["status"]) == (202, "deleting")
        await teardown_endpoint(worker, provider, redis_client, ends["a"])
    finally:
        await worker.close()
    assert await _admin_fetch(server_url, "SELECT datname FROM pg_database WHERE datname = $1",
                              databases["a"]) == []
    assert await _admin_fetch(server_url, ROLES, list(role_names(databases["a"]))) == []
    assert (await client.get(f"/v1/endpoints/{ends['a']}", headers=a)).json()["status"] == "deleted"
    assert (await client.get(f"/v1/endpoints/{ends['b']}", headers=b)).json()["status"] == "ready"


async def _tenant_views_are_separate(client: httpx.AsyncClient, a: dict[str, str], b: dict[str, str],
                                     a_end: uuid.UUID, b_end: uuid.UUID) -> None:
    listed = (await client.get("/v1/endpoints", headers=a)).json()
    assert [(e["id"], e["status"]) for e in listed] == [(str(a_end), "ready")]
    token = (await client.post(f"/v1/endpoints/{a_end}/tokens", json={"name": "agent"}, headers=a)).json()
    for method, path in (("GET", f"/v1/endpoints/{a_end}"), ("GET", f"/v1/endpoints/{a_end}/tokens"),
                         ("DELETE", f"/v1/endpoints/{a_end}"),
                         ("DELETE", f"/v1/endpoints/{a_end}/tokens/{token['id']}"),
                         ("POST", f"/v1/endpoints/{a_end}/tokens/{token['id']}/rotate")):
        answer = await client.request(method, path, headers=b)
        missing = await client.request(method, path.replace(str(a_end), str(uuid.uuid4())), headers=b)
        assert (answer.status_code, answer.json()) == (404, missing.json()), (method, path)
    a_audit = (await client.get("/v1/audit", headers=a)).json()["items"]
    b_audit = (await client.get("/v1/audit", headers=b)).json()["items"]
    assert str(a_end) in {r["target"] for r in a_audit} and str(b_end) not in {r["target"] for r in a_audit}
    assert {r["target"] for r in b_audit}.isdisjoint({str(a_end), token["id"]})
    b_tokens = (await client.get(f"/v1/endpoints/{b_end}/tokens", headers=b)).json()
    assert b_tokens == []


async def test_a_failed_endpoint_reads_its_reason(client: httpx.AsyncClient, catalog_url: str) -> None:
    headers = await signup(client, "a@x.io")
    endpoint = await _create(client, headers)
    worker = await create_pool(catalog_url, "berth_worker", min_size=0, max_size=1)
    try:
        await mark_failed(worker, endpoint, "the region has no capacity")
    finally:
        await worker.close()
    got = (await client.get(f"/v1/endpoints/{endpoint}", headers=headers)).json()
    assert (got["status"], got["failure_reason"]) == ("failed", "the region has no capacity")
