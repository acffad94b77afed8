"""bare: the least a Python MCP gateway can do for one call, the ceiling Berth's gateway is measured against.

Raw ASGI, a dict from token to endpoint, one Redis EVALSHA (burst and monthly
counters, like the gateway's limiter), one asyncpg ``fetch`` on the endpoint's
pool, orjson. No parsing of SQL, no audit, no schema: deliberately less than a
real gateway does. Configured by environment (see ``bench.contenders``).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
import redis.asyncio as aioredis

from bench import stack

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

POOL_SIZE = 4  # the gateway's default per-endpoint pool cap
LIMIT = """
local m = redis.call('INCR', KEYS[1])
if m == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local s = redis.call('INCR', KEYS[2])
if s == 1 then redis.call('EXPIRE', KEYS[2], 2) end
return {m, s}
"""
JSON = [(b"content-type", b"application/json")]


@dataclass
class Endpoint:
    path: str
    key: str
    dsn: str
    pool: asyncpg.Pool | None = None


def endpoints_from_env() -> dict[str, Endpoint]:
    """``BENCH_ENDPOINTS``: JSON list of [token, slug, endpoint id, reader dsn]."""
    rows = orjson.loads(os.environ["BENCH_ENDPOINTS"])
    return {token: Endpoint(f"/e/{slug}/mcp", key, dsn) for token, slug, key, dsn in rows}


async def respond(send: Send, status: int, body: bytes) -> None:
    headers = [*JSON, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


class Bare:
    def __init__(self, endpoints: dict[str, Endpoint], redis_url: str) -> None:
        self.endpoints = endpoints
        self.redis_url = redis_url
        self.redis: aioredis.Redis | None = None
        self.sha = ""

    async def start(self) -> None:
        self.redis = aioredis.from_url(self.redis_url)
        self.sha = await self.redis.script_load(LIMIT)
        for endpoint in self.endpoints.values():
            endpoint.pool = await asyncpg.create_pool(endpoint.dsn, min_size=1, max_size=POOL_SIZE)

    async def stop(self) -> None:
        for endpoint in self.endpoints.values():
            if endpoint.pool is not None:
                await endpoint.pool.close()
        if self.redis is not None:
            await self.redis.aclose()

    async def call(self, endpoint: Endpoint, body: bytes) -> bytes:
        request = orjson.loads(body)
        month = time.strftime("%Y-%m", time.gmtime())
        keys = (f"berth:{{{endpoint.key}}}:m:{month}", f"berth:{{{endpoint.key}}}:s:{int(time.time())}")
        assert self.redis is not None and endpoint.pool is not None
        await self.redis.evalsha(self.sha, 2, *keys, 40 * 86400)
        rows = await endpoint.pool.fetch(request["params"]["arguments"]["sql"])
        records = [dict(row) for row in rows]
        result = {"content": [{"type": "text", "text": orjson.dumps(records, default=str).decode()}],
                  "structuredContent": {"rows": records}, "isError": False}
        return orjson.dumps({"jsonrpc": "2.0", "id": request["id"], "result": result}, default=str)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        token = next((v[7:].decode() for k, v in scope["headers"] if k == b"authorization"), "")
        endpoint = self.endpoints.get(token)
        if endpoint is None or endpoint.path != scope["path"]:
            await respond(send, 401, b'{"error":{"code":"invalid_token"}}')
            return
        await respond(send, 200, await self.call(endpoint, await read_body(receive)))

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


def main() -> None:
    app = Bare(endpoints_from_env(), os.environ["BENCH_REDIS_URL"])
    stack.run(app, int(sys.argv[1]))


if __name__ == "__main__":
    main()
