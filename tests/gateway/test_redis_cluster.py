"""Berth on a three-master Redis Cluster: limits, counters, usage flush, heartbeats and invalidations.

The cluster is started once for the module from the embedded Redis server
binary (``tests/operations/cluster.py``), or taken from
``BERTH_TEST_REDIS_CLUSTER_URL``; ``BERTH_REDIS_URL`` names it with the
``redis+cluster://`` scheme.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot

from control_plane.catalog.db import create_pool
from control_plane.catalog.jobs import Kind
from control_plane.providers.fake import FakeProvider
from control_plane.redis import connect as redis_connect
from control_plane.redis import counters
from control_plane.redis.invalidation import CHANNEL, endpoint_message, publish, token_message
from control_plane.sealing import Sealer
from control_plane.services import usage
from control_plane.services.context import Context
from control_plane.settings import Settings
from control_plane.tokens import digest
from data_plane import heartbeat
from data_plane.app import Gateway
from data_plane.lifespan import serving
from data_plane.ratelimit import FailoverLimiter, MemoryLimiter, RedisLimiter, month_start
from jobs.handlers.usage import read_counters
from tests.gateway import rpc
from tests.gateway.conftest import IssueToken, MakeEndpoint, bearer
from tests.gateway.test_invalidation import wait_for_status
from tests.jobs.conftest import Clock, resources, runner
from tests.operations.cluster import Cluster, redis_cluster

FREE_BURST = 10  # control_plane/plans.py: the free plan's calls per second


@pytest.fixture(scope="module")
def cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("BERTH_TEST_REDIS_CLUSTER_URL")
    if configured:
        yield configured
        return
    with redis_cluster(tmp_path_factory.mktemp("cluster")) as cluster:
        yield cluster.url


@pytest.fixture
async def cluster(cluster_url: str) -> AsyncIterator[aioredis.Redis]:
    client = redis_connect.connect(cluster_url)
    await client.flushall()
    yield client
    await client.aclose()


@pytest.fixture
def on_cluster(gateway_settings: Settings, cluster_url: str) -> Settings:
    return gateway_settings.model_copy(update={"redis_url": SecretStr(cluster_url)})


def nodes(client: aioredis.Redis) -> list[aioredis.Redis]:
    """A plain client on each primary of the cluster."""
    assert isinstance(client, RedisCluster)
    return [aioredis.Redis(host=n.host, port=n.port) for n in client.get_primaries()]


@asynccontextmanager
async def replica(settings: Settings) -> AsyncIterator[tuple[Gateway, httpx.AsyncClient]]:
    async with serving(settings) as app:
        await asyncio.wait_for(app.resources.subscriber.ready.wait(), 5)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
            yield app, http


def test_the_url_scheme_chooses_a_cluster() -> None:
    assert redis_connect.is_cluster("redis+cluster://10.0.0.1:6379") and not redis_connect.is_cluster(
        "redis://10.0.0.1:6379/0")
    assert isinstance(redis_connect.connect("rediss+cluster://u:p@10.0.0.1:6379"), RedisCluster)
    assert not isinstance(redis_connect.connect("unix:///tmp/redis.sock"), RedisCluster)
    seeded = redis_connect.connect("redis+cluster://u:p@10.0.0.1:6379,10.0.0.2:6380,[::1]:6381")
    assert isinstance(seeded, RedisCluster)
    assert sorted(seeded.nodes_manager.startup_nodes) == ["10.0.0.1:6379", "10.0.0.2:6380", "::1:6381"]
    assert {n.connection_kwargs.get("password") for n in seeded.nodes_manager.startup_nodes.values()} == {"p"}
    with pytest.raises(ValueError):
        redis_connect.connect("redis+cluster://10.0.0.1:6379,10.0.0.2")


async def test_two_gateways_share_limits_hear_revocations_and_report(
    on_cluster: Settings, cluster: aioredis.Redis, make_endpoint: MakeEndpoint, issue_token: IssueToken,
    catalog: asyncpg.Connection,
) -> None:
    endpoint = await make_endpoint("free")
    token = await issue_token(endpoint)
    async with replica(on_cluster) as (one, a), replica(on_cluster) as (two, b):
        await asyncio.sleep(1.02 - time.time() % 1)  # a fresh wall-clock second, as the limiter counts
        answers = [(await http.post(endpoint.path, json=rpc.call(), headers=bearer(token))).status_code
                   for http in [a, b] * (FREE_BURST // 2 + 2)]
        assert answers.count(200) <= FREE_BURST and 429 in answers, answers
        assert not one.degraded and not two.degraded
        key = counters.month_key(endpoint.id, month_start(time.time()).date())
        assert int(await cluster.get(key) or 0) == answers.count(200)
        assert heartbeat.process_key().removeprefix(heartbeat.KEY_PREFIX) in await heartbeat.read_all(cluster)

        listeners = [app.resources.subscriber for app in (one, two)]
        for node in nodes(cluster):  # the cluster bus relays a PUBLISH on any node to every subscriber
            before = [s.applied for s in listeners]
            await node.publish(CHANNEL, endpoint_message(uuid.uuid4()))
            await node.aclose()
            await _until(lambda b=before: all(s.applied > n for s, n in zip(listeners, b, strict=True)))

        hashed = digest(token, on_cluster.token_pepper_value)
        await catalog.execute("UPDATE endpoint_tokens SET revoked_at = now() WHERE token_hash = $1", hashed)
        await publish(cluster, token_message(hashed))
        for http in (a, b):
            assert await wait_for_status(http, endpoint.path, token, 401) == 401


async def _until(check: object, wait: float = 2.0) -> None:
    deadline = time.monotonic() + wait
    while not (callable(check) and check()):
        assert time.monotonic() < deadline, "not within the wait"
        await asyncio.sleep(0.01)


async def test_month_counters_on_every_primary_are_read_and_flushed(
    cluster: aioredis.Redis, catalog: asyncpg.Connection, catalog_url: str, settings: Settings,
) -> None:
    tenant, month = uuid.uuid4(), date(2026, 11, 1)
    known = uuid.uuid4()
    await catalog.execute("INSERT INTO tenants (id, name) VALUES ($1, 'acme')", tenant)
    await catalog.execute("INSERT INTO endpoints (id, tenant_id, slug, name, plan, provider) "
                          "VALUES ($1, $2, 'shop-flush', 'shop', 'free', 'fake')", known, tenant)
    others = [uuid.uuid4() for _ in range(29)]
    for n, endpoint_id in enumerate([known, *others], start=1):
        await cluster.set(counters.month_key(endpoint_id, month), n)
    sizes = [await node.dbsize() for node in nodes(cluster)]
    assert len(sizes) == 3 and all(sizes), sizes  # the keys are spread over all three masters

    assert sorted(c[2] for c in await read_counters(cluster)) == list(range(1, 31))
    pool = await create_pool(catalog_url, "berth_worker", min_size=0, max_size=2)
    try:
        clock = Clock()
        work = runner(resources(pool, FakeProvider(), Sealer.from_setting(settings.seal_keys_value),
                                cluster, clock), clock)
        await work.queue.enqueue_once(Kind.FLUSH_USAGE, {})
        assert (await work.run_once())[-1].endswith("flushed 30 monthly usage counters")
        ctx = Context.from_settings(settings, pool, cluster)
        assert await usage.calls(ctx, catalog, [known, *others[:3]], month) == {
            known: 1, others[0]: 2, others[1]: 3, others[2]: 4}
    finally:
        await pool.close()
    assert await catalog.fetchval("SELECT calls FROM usage_monthly WHERE endpoint_id = $1", known) == 1


async def test_the_limiter_reloads_its_script_and_reseeds_on_a_cluster(cluster: aioredis.Redis) -> None:
    seeded: list[uuid.UUID] = []

    async def seed(endpoint_id: uuid.UUID, month: date) -> int:
        seeded.append(endpoint_id)
        return 999

    limiter = RedisLimiter(cluster, seed)
    first, second = uuid.uuid4(), uuid.uuid4()
    assert (await limiter.hit(first, "free")).allowed
    assert (await limiter.hit(first, "free")).reason == "monthly quota"
    await cluster.script_flush()  # every primary forgets the script, as after a restart
    assert (await limiter.hit(second, "pro")).allowed
    assert seeded == [first, second]


async def test_a_slot_map_being_rebuilt_counts_as_redis_down(cluster: aioredis.Redis) -> None:
    # Mid-failover redis-py's cluster client can meet a slot no node covers yet and fail with a KeyError
    # (or an AttributeError); the limiter must then serve on its own counts, not answer 500.
    assert isinstance(cluster, RedisCluster)
    await cluster.ping()  # the slot map is loaded
    cluster.nodes_manager.slots_cache.clear()  # as while the map is rebuilt after a master died
    with pytest.raises(redis_connect.REDIS_DOWN):
        await cluster.get("berth:any")
    limiter = FailoverLimiter(RedisLimiter(cluster, lambda e, m: asyncio.sleep(0, 0)), MemoryLimiter())
    cluster.nodes_manager.slots_cache.clear()
    assert (await limiter.hit(uuid.uuid4(), "free")).allowed and limiter.degraded


async def test_an_unreachable_cluster_degrades_and_never_raises() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = redis_connect.connect(f"redis+cluster://127.0.0.1:{port}", socket_connect_timeout=0.2)
    try:
        limiter = FailoverLimiter(RedisLimiter(client, lambda e, m: asyncio.sleep(0, 0)), MemoryLimiter())
        assert (await limiter.hit(uuid.uuid4(), "free")).allowed and limiter.degraded
        await publish(client, token_message(b"\x00" * 32))  # best effort: no exception
        with pytest.raises(redis_connect.REDIS_DOWN):
            await client.ping()
    finally:
        await client.aclose()


async def test_revocations_are_heard_again_after_the_channels_master_fails_over(
    gateway_settings: Settings, tmp_path: Path, make_endpoint: MakeEndpoint, issue_token: IssueToken,
    catalog: asyncpg.Connection,
) -> None:
    endpoint = await make_endpoint("pro")
    token = await issue_token(endpoint)
    with redis_cluster(tmp_path / "failover", replicas=True) as failing:
        settings = gateway_settings.model_copy(update={"redis_url": SecretStr(failing.url),
                                                       "token_cache_ttl_seconds": 300.0})
        async with replica(settings) as (app, http):
            subscriber = app.resources.subscriber
            assert (await http.post(endpoint.path, json=rpc.call(), headers=bearer(token))).status_code == 200
            channel_owner = failing.ports.index(_owner(failing, key_slot(CHANNEL.encode())))
            failing.processes[channel_owner].kill()  # its replica is promoted about three seconds later
            await _until(lambda: not subscriber.ready.is_set(), wait=10)
            await _until(subscriber.ready.is_set, wait=20)  # subscribed again, on the promoted replica
            hashed = digest(token, settings.token_pepper_value)
            call = rpc.call()
            assert (await http.post(endpoint.path, json=call, headers=bearer(token))).status_code == 200
            await catalog.execute("UPDATE endpoint_tokens SET revoked_at = now() WHERE token_hash = $1",
                                  hashed)
            # cached for 300 s: only the invalidation can end it now
            assert (await http.post(endpoint.path, json=call, headers=bearer(token))).status_code == 200
            # a client opened now finds the cluster although the first node its URL names is dead
            survivor = redis_connect.connect(failing.every_master_url, socket_connect_timeout=0.5)
            try:
                await publish(survivor, token_message(hashed))
            finally:
                await survivor.aclose()
            assert await wait_for_status(http, endpoint.path, token, 401) == 401


def _owner(cluster: Cluster, slot: int) -> int:
    """The port of the master serving ``slot``, as the cluster's last node sees it."""
    node = cluster.node(len(cluster.ports) - 1)
    try:
        return next(int(master[1]) for first, last, master, *_ in node.execute_command("CLUSTER SLOTS")
                    if first <= slot <= last)
    finally:
        node.close()
