"""The support path through the gateway: an approved bsup_ credential, read-only tools on its tenant's
endpoints only, every use in the tenant's log, ended at once by revocation or expiry on every replica."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from control_plane import tokens
from control_plane.settings import Settings
from data_plane.app import Gateway
from data_plane.lifespan import serving
from tests.gateway.conftest import Endpoint, IssueToken, MakeEndpoint, bearer
from tests.gateway.rpc import LIST, call

# What services/support.py writes: the ask, then the owner's approval (tested in tests/tenancy).
ASK = """
INSERT INTO support_requests (id, tenant_id, operator, reason, credential_hash, requested_at)
VALUES ($1, $2, 'operator:o', 'slow queries', $3, now())
"""
APPROVE = """
UPDATE support_requests SET status = 'approved', decided_by = 'owner', decided_at = $2, expires_at = $3
WHERE id = $1
"""
REVOKE = "UPDATE support_requests SET status = 'revoked', revoked_at = now() WHERE id = $1"


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@asynccontextmanager
async def client(app: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
        yield http


async def ask(catalog: asyncpg.Connection, settings: Settings, endpoint: Endpoint,
              approve_hours: float | None = 1) -> tuple[uuid.UUID, str]:
    request_id, credential = uuid.uuid4(), tokens.generate(tokens.SUPPORT_PREFIX)
    digest = tokens.digest(credential, settings.token_pepper_value)
    await catalog.execute(ASK, request_id, endpoint.tenant_id, digest)
    if approve_hours is not None:
        await approve(catalog, request_id, approve_hours)
    return request_id, credential


async def approve(catalog: asyncpg.Connection, request_id: uuid.UUID, hours: float = 1) -> None:
    now = datetime.now(UTC)
    await catalog.execute(APPROVE, request_id, now, now + timedelta(hours=hours))


def support_path(endpoint: Endpoint) -> str:
    return f"/support/e/{endpoint.slug}/mcp"


async def query(http: httpx.AsyncClient, path: str, credential: str, sql: str = "SELECT name FROM items"
                ) -> httpx.Response:
    return await http.post(path, json=call("query", {"sql": sql}), headers=bearer(credential))


async def test_approved_credential_reads_and_every_use_is_audited(
    gateway: Gateway, http: httpx.AsyncClient, make_endpoint: MakeEndpoint, catalog: asyncpg.Connection,
    gateway_settings: Settings,
) -> None:
    shop = await make_endpoint()
    request_id, credential = await ask(catalog, gateway_settings, shop, approve_hours=None)
    assert (await query(http, support_path(shop), credential)).status_code == 401  # asked, not approved
    await approve(catalog, request_id)
    answer = await query(http, support_path(shop), credential)
    assert answer.status_code == 200, answer.text
    assert "anchor" in answer.text
    listed = await http.post(support_path(shop), json=LIST, headers=bearer(credential))
    names = {t["name"] for t in listed.json()["result"]["tools"]}
    assert "list_items" in names and "execute" not in names
    assert not any(n.startswith("insert_") for n in names)
    await gateway.resources.audit.flush()
    rows = await catalog.fetch(
        "SELECT actor, action, tool, tenant_id, endpoint_id FROM audit_log WHERE action = 'support.use' "
        "ORDER BY id")
    assert [(r["actor"], r["tool"]) for r in rows] == [
        (f"support:{request_id}", "query"), (f"support:{request_id}", "tools/list")]
    assert {(r["tenant_id"], r["endpoint_id"]) for r in rows} == {(shop.tenant_id, shop.id)}


async def test_writes_are_refused(
    http: httpx.AsyncClient, make_endpoint: MakeEndpoint, catalog: asyncpg.Connection,
    gateway_settings: Settings,
) -> None:
    shop = await make_endpoint()
    _, credential = await ask(catalog, gateway_settings, shop)
    executed = await http.post(support_path(shop), headers=bearer(credential),
                               json=call("execute", {"sql": "DELETE FROM items"}))
    assert executed.status_code == 403 and executed.json()["error"]["code"] == "insufficient_scope"
    written = await query(http, support_path(shop), credential, "INSERT INTO items VALUES (9, 'x')")
    assert written.json()["result"]["isError"] is True
    inserted = await http.post(support_path(shop), headers=bearer(credential),
                               json=call("insert_items", {"id": 9, "name": "x"}))
    assert inserted.json()["result"]["isError"] is True, inserted.text
    answer = await query(http, support_path(shop), credential, "SELECT count(*) AS n FROM items")
    assert answer.json()["result"]["structuredContent"]["rows"] == [[3]]


async def test_only_its_tenant_and_only_its_credential(
    http: httpx.AsyncClient, make_endpoint: MakeEndpoint, catalog: asyncpg.Connection,
    gateway_settings: Settings, issue_token: IssueToken,
) -> None:
    shop, other = await make_endpoint(), await make_endpoint()
    _, credential = await ask(catalog, gateway_settings, shop)
    elsewhere = await query(http, support_path(other), credential)
    assert elsewhere.status_code == 404
    missing = await query(http, "/support/e/no-such-endpoint/mcp", credential)
    assert missing.status_code == 404
    assert (await query(http, shop.path, credential)).status_code == 401  # bsup_ on the normal path
    token = await issue_token(shop)
    assert (await query(http, shop.path, token)).status_code == 200
    refused = await query(http, support_path(shop), token)  # smcp_ on the support path
    assert refused.status_code == 401
    assert 'realm="berth-support"' in refused.headers["www-authenticate"]
    for stranger in (tokens.generate(tokens.API_KEY_PREFIX), "eyJhbGciOiJIUzI1NiJ9.e30.c2ln"):
        assert (await query(http, support_path(shop), stranger)).status_code == 401


async def test_revocation_ends_access_on_a_second_replica_within_a_second(
    gateway: Gateway, http: httpx.AsyncClient, make_endpoint: MakeEndpoint, catalog: asyncpg.Connection,
    gateway_settings: Settings,
) -> None:
    shop = await make_endpoint()
    request_id, credential = await ask(catalog, gateway_settings, shop)
    async with serving(gateway_settings) as replica, client(replica) as second:
        assert (await query(http, support_path(shop), credential)).status_code == 200
        assert (await query(second, support_path(shop), credential)).status_code == 200
        await catalog.execute(REVOKE, request_id)
        revoked_at = time.monotonic()
        assert (await query(second, support_path(shop), credential)).status_code == 401
        assert time.monotonic() - revoked_at < 1.0
        assert (await query(http, support_path(shop), credential)).status_code == 401


async def test_expiry_by_the_clock(
    make_endpoint: MakeEndpoint, catalog: asyncpg.Connection, gateway_settings: Settings,
) -> None:
    hours, shop = 1, await make_endpoint()
    _, credential = await ask(catalog, gateway_settings, shop, approve_hours=hours)
    clock = Clock()
    async with serving(gateway_settings, clock=clock) as app, client(app) as http:
        assert (await query(http, support_path(shop), credential)).status_code == 200
        clock.offset = hours * 3600 - 5
        assert (await query(http, support_path(shop), credential)).status_code == 200
        clock.offset = hours * 3600 + 1
        assert (await query(http, support_path(shop), credential)).status_code == 401
