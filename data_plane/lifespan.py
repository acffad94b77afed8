"""The gateway's composition root: everything it opens, opened once for the server's lifespan.

``opened(settings)`` reads the secrets first (a missing one opens nothing), then
opens the catalog pool, the two Redis clients (commands, and a listener for
invalidations), the endpoint pools, the HTTP client of ``import_url``, and
wires the parts that share them into one ``GatewayResources``; on exit it
stops the background tasks, flushes the audit buffer and closes in reverse
order. ``serving(settings)`` yields the routing ``Gateway`` over them. Nothing
on the request path builds or looks up a resource: ``Gateway`` and ``Calls``
are handed what they use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import asyncpg
import httpx
import redis.asyncio as aioredis

from control_plane.catalog.db import create_pool
from control_plane.imports.spool import spool_dir
from control_plane.observability.metrics import Metrics
from control_plane.redis import connect as redis_connect
from control_plane.sealing import Sealer
from control_plane.settings import Process, Settings
from data_plane import catalog, heartbeat
from data_plane import metrics as gateway_metrics
from data_plane.app import Gateway
from data_plane.audit import AuditBuffer
from data_plane.auth import Authenticator
from data_plane.calls import Calls, Toolbox
from data_plane.documents import Documents
from data_plane.imports.fetch import UrlFetcher
from data_plane.imports.tools import ImportTools
from data_plane.invalidation import Subscriber
from data_plane.pools import PoolLimits, Pools
from data_plane.ratelimit import FailoverLimiter, MemoryLimiter, RedisLimiter
from data_plane.support import SupportAuth
from data_plane.tools import QueryLimits
from data_plane.tools.generated.cache import SchemaCatalogs

log = logging.getLogger("data_plane.app")
FLUSH_EVERY = 0.5
CATALOG_POOL_SIZE = 10  # token lookups and audit flushes only: the calls themselves use endpoint pools
REDIS_CONNECT_TIMEOUT = 0.5  # the limiter bounds each call; a dead Redis must not stall a request


@dataclass
class GatewayResources:
    """What one gateway process holds open, each part handed the others it needs."""

    catalog: asyncpg.Pool
    pools: Pools
    limiter: FailoverLimiter
    audit: AuditBuffer
    auth: Authenticator
    support: SupportAuth
    schemas: SchemaCatalogs
    calls: Calls
    documents: Documents
    subscriber: Subscriber
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def degraded(self) -> bool:
        """Serving on the per-process limiter because Redis is unreachable."""
        return self.limiter.degraded


@asynccontextmanager
async def opened(settings: Settings, *, tools: Toolbox | None = None, metrics: Metrics | None = None,
                 clock: Callable[[], float] = time.time) -> AsyncIterator[GatewayResources]:
    """Open every resource, start the background tasks; on exit stop them and close all in reverse."""
    if tools is None:
        from data_plane import tools as default_tools

        tools = default_tools
    # Every secret is read before anything opens, so a missing one leaks nothing.
    settings.require(Process.GATEWAY)
    catalog_url, redis_url = settings.database_url_value, settings.redis_url_value
    pepper = settings.token_pepper_value
    sealer = Sealer.from_setting(settings.seal_keys_value)
    async with contextlib.AsyncExitStack() as stack:
        pool = await create_pool(catalog_url, "berth_gateway", min_size=1, max_size=CATALOG_POOL_SIZE)
        stack.push_async_callback(pool.close)
        redis = redis_connect.connect(redis_url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT)
        stack.push_async_callback(redis.aclose)
        listener = redis_connect.connect(redis_url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT)
        stack.push_async_callback(listener.aclose)
        pools = Pools(sealer, PoolLimits(settings.pool_max_size, settings.max_pools,
                                         settings.connection_budget, settings.pool_idle_seconds,
                                         settings.statement_timeout_ms))
        stack.push_async_callback(pools.aclose)
        http = httpx.AsyncClient(headers={"User-Agent": "Berth import_url"})
        stack.push_async_callback(http.aclose)
        imports = ImportTools(pool, spool_dir(settings.data_dir),
                              UrlFetcher(http, allow_private=settings.import_urls_allow_private),
                              settings.max_import_bytes)
        res = _wire(settings, tools, pool, redis, listener, pools, pepper, imports, clock)
        if metrics is not None:
            res.calls.metrics = metrics
            watched = metrics.watch(gateway_metrics.reader(res.auth, pools, res.audit, lambda: res.degraded))
            stack.callback(metrics.forget, watched)
        stack.push_async_callback(res.audit.flush)
        tasks = [asyncio.create_task(res.subscriber.run()),
                 asyncio.create_task(_housekeeping(res.audit, pools)),
                 asyncio.create_task(heartbeat.report(redis, lambda: {"pools": len(pools),
                                                                      "degraded": res.degraded}))]
        stack.push_async_callback(_stop, res.stopping, tasks)
        yield res


@asynccontextmanager
async def serving(settings: Settings, *, tools: Toolbox | None = None, metrics: Metrics | None = None,
                  clock: Callable[[], float] = time.time) -> AsyncIterator[Gateway]:
    """The gateway's ASGI app over freshly opened resources, for as long as the context lasts."""
    async with opened(settings, tools=tools, metrics=metrics, clock=clock) as res:
        yield Gateway(res, settings)


def _wire(settings: Settings, tools: Toolbox, pool: asyncpg.Pool, redis: aioredis.Redis,
          listener: aioredis.Redis, pools: Pools, pepper: bytes, imports: ImportTools,
          clock: Callable[[], float]) -> GatewayResources:
    auth = Authenticator.on_pool(pool, pepper, ttl=settings.token_cache_ttl_seconds, clock=time.time)
    seeded = RedisLimiter(redis, lambda endpoint, month: catalog.month_calls(pool, endpoint, month))
    limiter = FailoverLimiter(seeded, MemoryLimiter())
    audit = AuditBuffer(lambda rows: catalog.insert_audit(pool, rows),
                        lambda stamps: catalog.stamp_last_used(pool, stamps))
    schemas = SchemaCatalogs(tools.tool_definitions, max_entries=settings.max_pools)
    # Every endpoint pool is opened with the session settings the tools would set (see pools.connector).
    limits = QueryLimits(settings.statement_timeout_ms, max_result_bytes=settings.max_result_bytes,
                         preset_session=True)
    calls = Calls(tools, limiter, pools, audit, limits, schemas=schemas, imports=imports)
    support = SupportAuth(lambda digest, slug: catalog.find_support(pool, digest, slug), pepper, clock=clock)
    documents = Documents(calls, settings.gateway_base_url, max_entries=settings.max_pools)
    return GatewayResources(pool, pools, limiter, audit, auth, support, schemas, calls, documents,
                            Subscriber(listener, auth, pools, schemas))


async def _housekeeping(audit: AuditBuffer, pools: Pools, every: float = FLUSH_EVERY) -> None:
    """Until cancelled: flush the audit buffer, close idle pools."""
    while True:
        await asyncio.sleep(every)
        try:
            await audit.flush()
            pools.reap()
        except Exception:  # a bad pass is logged; the next one runs anyway
            log.exception("gateway housekeeping failed")


async def _stop(stopping: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    stopping.set()  # open subscriptions/listen streams end before the tasks they rely on
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
