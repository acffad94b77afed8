"""Burst ceilings and monthly quotas: one Lua script, re-seeded from usage_monthly, 429s that say when."""

from __future__ import annotations

import time
import uuid
from datetime import date

import asyncpg
import httpx
import redis.asyncio as aioredis

from data_plane.ratelimit import MemoryLimiter, RedisLimiter, month_start, seconds_to_next_month
from tests.gateway import rpc
from tests.gateway.conftest import IssueToken, MakeEndpoint, bearer


async def counter(client: aioredis.Redis, key: str) -> int:
    value = await client.get(key)
    assert value is not None
    return int(value)


def month_key(endpoint_id: uuid.UUID) -> str:
    return f"berth:{{{endpoint_id}}}:m:{month_start(time.time()):%Y-%m}"


async def test_the_free_plans_1001st_call_of_the_month_is_refused(
    http: httpx.AsyncClient, make_endpoint: MakeEndpoint, issue_token: IssueToken,
    redis_client: aioredis.Redis,
) -> None:
    endpoint = await make_endpoint("free")
    token = await issue_token(endpoint)
    await redis_client.set(month_key(endpoint.id), 999)
    assert (await http.post(endpoint.path, json=rpc.call(), headers=bearer(token))).status_code == 200
    refused = await http.post(endpoint.path, json=rpc.call(), headers=bearer(token))
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
    assert abs(int(refused.headers["retry-after"]) - seconds_to_next_month(time.time())) <= 2
    assert refused.headers["ratelimit-limit"] == "1000" and refused.headers["ratelimit-remaining"] == "0"
    assert await counter(redis_client, month_key(endpoint.id)) == 1000


async def test_a_lost_month_counter_is_reseeded_from_usage_monthly(
    http: httpx.AsyncClient, make_endpoint: MakeEndpoint, issue_token: IssueToken,
    redis_client: aioredis.Redis, catalog: asyncpg.Connection,
) -> None:
    endpoint = await make_endpoint("free")
    token = await issue_token(endpoint)
    await catalog.execute(
        "INSERT INTO usage_monthly (tenant_id, endpoint_id, month, calls) VALUES ($1, $2, $3, 1000)",
        endpoint.tenant_id, endpoint.id, month_start(time.time()).date())
    assert await redis_client.get(month_key(endpoint.id)) is None
    assert (await http.post(endpoint.path, json=rpc.call(), headers=bearer(token))).status_code == 429
    assert await counter(redis_client, month_key(endpoint.id)) == 1000


async def test_a_burst_over_the_ceiling_waits_one_second(
    http: httpx.AsyncClient, make_endpoint: MakeEndpoint, issue_token: IssueToken,
    redis_client: aioredis.Redis,
) -> None:
    endpoint = await make_endpoint("free")
    token = await issue_token(endpoint)
    now = int(time.time())
    for second in (now, now + 1, now + 2):
        await redis_client.set(f"berth:{{{endpoint.id}}}:s:{second}", 10, ex=5)
    refused = await http.post(endpoint.path, json=rpc.call(), headers=bearer(token))
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert refused.headers["ratelimit-limit"] == "10"


async def test_redis_limiter_counts_burst_per_second_and_quota_per_month(
    redis_client: aioredis.Redis,
) -> None:
    clock = [1_700_000_000.0]
    seeds: list[date] = []

    async def seed(endpoint_id: uuid.UUID, month: date) -> int:
        seeds.append(month)
        return 5

    limiter = RedisLimiter(redis_client, seed, clock=lambda: clock[0])
    endpoint = uuid.uuid4()
    verdicts = [(await limiter.hit(endpoint, "free")).allowed for _ in range(11)]
    assert verdicts == [True] * 10 + [False] and len(seeds) == 1
    clock[0] += 1
    assert (await limiter.hit(endpoint, "free")).allowed
    key = f"berth:{{{endpoint}}}:m:{month_start(clock[0]):%Y-%m}"
    assert await counter(redis_client, key) == 5 + 11
    assert 0 < await redis_client.ttl(key) <= seconds_to_next_month(clock[0] - 1) + 35 * 86400


async def test_memory_limiter_keeps_the_same_rules() -> None:
    clock = [1_700_000_000.0]
    limiter = MemoryLimiter(clock=lambda: clock[0])
    endpoint = uuid.uuid4()
    assert [(await limiter.hit(endpoint, "free")).allowed for _ in range(11)] == [True] * 10 + [False]
    assert all([(await limiter.hit(uuid.uuid4(), "pro")).allowed for _ in range(50)])
    burst = await limiter.hit(endpoint, "free")
    assert (burst.allowed, burst.reason, burst.reset) == (False, "burst", 1)
