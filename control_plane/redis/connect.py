"""Every Berth process opens Redis here, from ``BERTH_REDIS_URL``: one server or a Redis Cluster.

``redis://``, ``rediss://`` and ``unix://`` name one server (redis-py's own
URL forms). ``redis+cluster://[user:password@]host:port[,host:port...]``
(``rediss+cluster://`` over TLS) names nodes of a Redis Cluster: the client
asks the first that answers for the slot map and then talks to every primary
itself. Name more than one: a client opened later (a process starting,
``/readyz``, the CLI) cannot find a cluster whose only named node is down,
even after a replica took over that node's slots. A cluster has database 0 only.

What Berth does with Redis works on both, and ``tests/gateway/
test_redis_cluster.py`` runs each part against a three-master cluster:

- the limiter's script touches two keys of one endpoint, which share a
  ``{<endpoint id>}`` hash tag and so one slot (``redis/counters.py``);
- the usage flush and ``berth status`` SCAN every primary, then GET through a
  non-transactional pipeline, never a cross-slot MGET or MULTI;
- invalidations use classic PUBLISH / SUBSCRIBE, which a cluster relays to
  every node over its bus, so a subscriber on any node hears every message.
  Sharded pub/sub (SPUBLISH) would keep messages on one shard but needs Redis
  7, and invalidations are rare enough for the bus.

The client is typed as ``Redis`` because ``RedisCluster`` answers the same
command methods Berth calls; a cluster that cannot be reached raises
``RedisClusterException``, which is no ``RedisError``, so callers that serve on
without Redis catch ``REDIS_DOWN``.
"""

from __future__ import annotations

from typing import Any, cast

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.exceptions import ConnectionError, RedisClusterException, RedisError  # noqa: A004

CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}
# What any Redis call may raise when Redis (or a cluster's slot owner) cannot answer.
REDIS_DOWN = (OSError, TimeoutError, RedisError, RedisClusterException)


class Cluster(RedisCluster):
    """redis-py's cluster client, with the failures it is known to raise while its slot map is being
    rebuilt mid-failover (a ``KeyError`` for a slot no node covers yet, an ``AttributeError`` on a node
    gone from the map: redis-py issues 2437, 3815, 3835) raised as the ``ConnectionError`` they mean,
    so every caller that serves on without Redis treats them as Redis being down, not as a bug."""

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().execute_command(*args, **kwargs)
        except (AttributeError, KeyError) as exc:
            raise ConnectionError(f"the cluster's slot map is changing ({type(exc).__name__})") from exc


def is_cluster(url: str) -> bool:
    return url.partition("://")[0].lower() in CLUSTER_SCHEMES


def connect(url: str, **options: Any) -> aioredis.Redis:
    """A client for ``url``; opens no connection until its first command (``ValueError`` for a bad URL)."""
    scheme, _, rest = url.partition("://")
    plain = CLUSTER_SCHEMES.get(scheme.lower())
    if plain is None:
        return aioredis.from_url(url, **options)
    first, others = _seeds(rest)
    return cast(aioredis.Redis, Cluster.from_url(f"{plain}://{first}", startup_nodes=others or None,
                                                 **options))


def _seeds(rest: str) -> tuple[str, list[ClusterNode]]:
    """``[user:password@]host:port,host:port/...``: the rest with its first node only, and the others."""
    userinfo, at, hosts = rest.rpartition("@")
    hosts, slash, tail = hosts.partition("/")
    first, *others = hosts.split(",")
    nodes = []
    for node in others:
        host, colon, port = node.rpartition(":")
        if not colon or not host or not port.isdigit():
            raise ValueError("a Redis Cluster node is host:port")
        nodes.append(ClusterNode(host.strip("[]"), int(port)))
    return f"{userinfo}{at}{first}{slash}{tail}", nodes
