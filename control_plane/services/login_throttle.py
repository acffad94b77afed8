"""Failed logins counted per account and per client address in Redis sliding windows.

Each key is a sorted set of failure times. Over a window's limit, a login is
refused with 429 and ``Retry-After`` (when the oldest failure leaves the
window) before any password is checked. The per-account window is short, so
an attacker who guesses an owner's email can hold the owner off only while
the attack goes on, never for good; the magic link (another sign-in path)
does not pass through this throttle. A success clears the account's failures.
Redis down: logins go on unthrottled (logged), as the gateway keeps serving.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import redis.asyncio as aioredis

from control_plane.errors import TooManyLogins
from control_plane.redis.connect import REDIS_DOWN

log = logging.getLogger("berth.login")


@dataclass(frozen=True)
class Window:
    """At most ``limit`` failures in any ``seconds``-long stretch."""

    limit: int
    seconds: int


ACCOUNT = Window(limit=10, seconds=300)
ADDRESS = Window(limit=100, seconds=900)


@dataclass(frozen=True)
class Counter:
    key: str
    window: Window


def counters(email: str, client: str) -> tuple[Counter, Counter]:
    """The account's counter (keyed by a digest of the email, never the email) and the address's."""
    account = hashlib.sha256(email.strip().lower().encode("utf-8", "replace")).hexdigest()[:32]
    address = hashlib.sha256(client.encode("utf-8", "replace")).hexdigest()[:32]
    return (Counter(f"berth:login:account:{account}", ACCOUNT),
            Counter(f"berth:login:address:{address}", ADDRESS))


async def _retry_after(redis: aioredis.Redis, counter: Counter, now: float) -> int | None:
    """Seconds until ``counter`` has room again, or None when it has room now."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zremrangebyscore(counter.key, "-inf", now - counter.window.seconds)
        pipe.zcard(counter.key)
        pipe.zrange(counter.key, 0, 0, withscores=True)
        _removed, count, oldest = await pipe.execute()
    if count < counter.window.limit or not oldest:
        return None
    return max(1, math.ceil(float(oldest[0][1]) + counter.window.seconds - now))


async def check(redis: aioredis.Redis, found: Sequence[Counter], now: datetime) -> None:
    """Raise ``TooManyLogins`` when any counter is full."""
    try:
        waits = [await _retry_after(redis, c, now.timestamp()) for c in found]
    except REDIS_DOWN as exc:
        log.warning("login throttle unavailable: %s", type(exc).__name__)
        return
    longest = max((w for w in waits if w is not None), default=None)
    if longest is not None:
        raise TooManyLogins("too many failed logins; retry later", retry_after=longest)


async def failed(redis: aioredis.Redis, found: Sequence[Counter], now: datetime) -> None:
    """Count one failure on every counter."""
    stamp = now.timestamp()
    try:
        # Not a MULTI: the account's and the address's keys may sit on two Redis Cluster slots.
        async with redis.pipeline(transaction=False) as pipe:
            for counter in found:
                pipe.zadd(counter.key, {f"{stamp}:{secrets.token_hex(4)}": stamp})
                pipe.expire(counter.key, counter.window.seconds)
            await pipe.execute()
    except REDIS_DOWN as exc:
        log.warning("login throttle unavailable: %s", type(exc).__name__)


async def succeeded(redis: aioredis.Redis, account: Counter) -> None:
    """The owner got in: forget the account's failures (the address's stay)."""
    try:
        await redis.delete(account.key)
    except REDIS_DOWN as exc:
        log.warning("login throttle unavailable: %s", type(exc).__name__)
