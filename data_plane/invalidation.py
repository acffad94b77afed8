"""Listens for revocations and endpoint changes on Redis and drops what they name, on every replica.

``token:<hex>`` drops one cached token; ``endpoint:<uuid>`` drops the
endpoint's cached tokens and generated tool catalogs and terminates its pools. After the subscription is
lost, everything cached is dropped once it is back, since messages may have
been missed meanwhile; the cache TTL covers the gap while it is down.
"""

from __future__ import annotations

import asyncio
import logging
from uuid import UUID

import redis.asyncio as aioredis

from control_plane.redis.connect import REDIS_DOWN
from control_plane.redis.invalidation import CHANNEL
from data_plane.auth import Authenticator
from data_plane.pools import Pools
from data_plane.tools.generated.cache import SchemaCatalogs

log = logging.getLogger(__name__)
RECONNECT_DELAY = 0.5


def apply(message: str, auth: Authenticator, pools: Pools, schemas: SchemaCatalogs | None = None) -> str:
    """Act on one message; returns what it did."""
    kind, _, value = message.partition(":")
    try:
        if kind == "token":
            return f"dropped {auth.forget_hash(bytes.fromhex(value))} cached token(s)"
        if kind == "endpoint":
            endpoint_id = UUID(value)
            tokens, closed = auth.forget_endpoint(endpoint_id), pools.close_endpoint(endpoint_id)
            if schemas is not None:
                schemas.forget(endpoint_id)  # an import, a new plan or settings: read schema and stats again
            return f"endpoint {endpoint_id}: dropped {tokens} cached token(s), closed {closed} pool(s)"
    except ValueError:
        pass
    return f"ignored a malformed invalidation ({kind})"


class Subscriber:
    def __init__(self, client: aioredis.Redis, auth: Authenticator, pools: Pools,
                 schemas: SchemaCatalogs | None = None) -> None:
        self._client = client
        self._auth = auth
        self._pools = pools
        self._schemas = schemas
        self.ready = asyncio.Event()
        self.applied = 0

    async def run(self) -> None:
        """Until cancelled: subscribe, apply each message, resubscribe after any failure."""
        lost = False
        while True:
            try:
                await self._listen(lost)
            except REDIS_DOWN as exc:
                log.warning("invalidation subscription lost: %s", type(exc).__name__)
                # Drop every connection and, for a cluster, the slot map: a cluster client keeps sending to a
                # master that died with the channel's slot even after its replica took over (bench.failover).
                await self._client.aclose()
            lost = True
            self.ready.clear()
            await asyncio.sleep(RECONNECT_DELAY)

    async def _listen(self, lost: bool) -> None:
        await self._client.ping()  # a cluster client learns its slot map here, which its pub/sub needs
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(CHANNEL)
            if lost:
                self._auth.forget_all()
            self.ready.set()
            async for message in pubsub.listen():
                data = message.get("data")
                if isinstance(data, bytes):
                    apply(data.decode("ascii", "replace"), self._auth, self._pools, self._schemas)
                    self.applied += 1
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
