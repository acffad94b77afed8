"""Usage from Redis and the catalog, audit paging, idempotent creates, and account deletion over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import httpx
import redis.asyncio as aioredis

from control_plane.redis.counters import month_key
from tests.api.conftest import PASSWORD, bearer, signup

STORE_USAGE = """
INSERT INTO usage_monthly (tenant_id, endpoint_id, month, calls) SELECT tenant_id, id, $2, $3
FROM endpoints WHERE id = $1
"""


async def test_calls_this_month_take_the_larger_of_redis_and_the_catalog(
    client: httpx.AsyncClient, catalog: asyncpg.Connection, redis_client: aioredis.Redis,
) -> None:
    headers = await signup(client, "a@x.io")
    made = (await client.post("/v1/endpoints", json={"name": "shop"}, headers=headers)).json()
    now = datetime.now(UTC)
    month = now.date().replace(day=1)
    await catalog.execute(STORE_USAGE, made["id"], month, 5)
    got = await client.get(f"/v1/endpoints/{made['id']}", headers=headers)
    assert got.json()["calls_this_month"] == 5
    await redis_client.set(month_key(made["id"], month), 7)
    usage = (await client.get("/v1/usage", params={"month": f"{now:%Y-%m}"}, headers=headers)).json()
    assert usage["endpoints"] == [{"endpoint_id": made["id"], "name": "shop", "plan": "free", "calls": 7,
                                   "monthly_limit": 1000}]
    bad = await client.get("/v1/usage", params={"month": "2026-13"}, headers=headers)
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_request")


async def test_idempotency_key_replays_or_conflicts(
    client: httpx.AsyncClient, catalog: asyncpg.Connection
) -> None:
    headers = {**await signup(client, "a@x.io"), "Idempotency-Key": "create-shop-1"}
    first = await client.post("/v1/endpoints", json={"name": "shop"}, headers=headers)
    again = await client.post("/v1/endpoints", json={"name": "shop"}, headers=headers)
    other = await client.post("/v1/endpoints", json={"name": "shop", "region": "eu"}, headers=headers)
    assert (first.status_code, again.status_code) == (202, 202) and first.json()["id"] == again.json()["id"]
    assert (other.status_code, other.json()["error"]["code"]) == (409, "idempotency_mismatch")
    assert await catalog.fetchval("SELECT count(*) FROM jobs WHERE kind = 'provision'") == 1


async def test_audit_pages_with_before(client: httpx.AsyncClient) -> None:
    headers = await signup(client, "a@x.io")
    for n in range(3):
        await client.post("/v1/api-keys", json={"name": f"k{n}"}, headers=headers)
    first = (await client.get("/v1/audit", params={"limit": 2}, headers=headers)).json()
    assert len(first["items"]) == 2 and first["next_before"] == first["items"][-1]["id"]
    rest = (await client.get("/v1/audit", params={"limit": 200, "before": first["next_before"]},
                             headers=headers)).json()
    ids = [r["id"] for r in first["items"] + rest["items"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 5 and rest["next_before"] is None
    over = await client.get("/v1/audit", params={"limit": 201}, headers=headers)
    assert over.status_code == 422


async def test_account_deletion_needs_a_fresh_owner_and_stops_everything(
    client: httpx.AsyncClient, catalog: asyncpg.Connection,
) -> None:
    key = await signup(client, "a@x.io")
    endpoint = (await client.post("/v1/endpoints", json={"name": "shop"}, headers=key)).json()["id"]
    stale = await client.request("DELETE", "/v1/account", headers=key)
    assert (stale.status_code, stale.json()["error"]["code"]) == (403, "reauthentication_required")
    wrong = await client.request("DELETE", "/v1/account", json={"password": "not the password"}, headers=key)
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "invalid_credentials")
    login = await client.post("/v1/login", json={"email": "a@x.io", "password": PASSWORD})
    jwt_headers = bearer(login.json()["access_token"])
    deleted = await client.request("DELETE", "/v1/account", headers=jwt_headers)
    assert deleted.status_code == 202 and deleted.json()["status"] == "deleting"
    job = await catalog.fetchrow("SELECT kind, payload->>'tenant_id' AS tenant FROM jobs WHERE id = $1",
                                 deleted.json()["job_id"])
    assert job["kind"] == "delete_account"
    assert await catalog.fetchval("SELECT status FROM endpoints WHERE id = $1", endpoint) == "deleting"
    for headers in (key, jwt_headers):
        assert (await client.get("/v1/endpoints", headers=headers)).status_code in (401, 403)
    actions = await catalog.fetch("SELECT action FROM audit_log WHERE tenant_id = $1::uuid ORDER BY id",
                                  job["tenant"])
    assert actions[-1]["action"] == "account.delete"
