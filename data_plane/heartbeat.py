"""Each gateway process reports its open pools and health to Redis, for `berth status`."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable

import orjson
import redis.asyncio as aioredis

from control_plane.redis.connect import REDIS_DOWN

KEY_PREFIX = "berth:gateway:"
EVERY = 5.0
TTL = 15


def process_key() -> str:
    return f"{KEY_PREFIX}{socket.gethostname()}:{os.getpid()}"


async def report(redis: aioredis.Redis, state: Callable[[], dict[str, object]],
                 every: float = EVERY) -> None:
    """Until cancelled: write this process's state under a key that lapses when it stops reporting."""
    key = process_key()
    while True:
        try:
            await redis.set(key, orjson.dumps(state()), ex=TTL)
        except REDIS_DOWN:
            pass  # Redis down: the gateway reports itself degraded on /readyz instead
        await asyncio.sleep(every)


async def read_all(redis: aioredis.Redis) -> dict[str, dict[str, object]]:
    """Every live gateway's last report, by process key."""
    found: dict[str, dict[str, object]] = {}
    async for key in redis.scan_iter(match=KEY_PREFIX + "*", count=100):
        value = await redis.get(key)
        if value is not None:
            name = key.decode() if isinstance(key, bytes) else str(key)
            found[name.removeprefix(KEY_PREFIX)] = orjson.loads(value)
    return found
