"""Step 2 of a call: may this endpoint call now? A burst ceiling per second and a monthly quota.

``RedisLimiter`` makes one EVALSHA per call. Keys follow the shared convention:
``berth:{<endpoint>}:m:<YYYY-MM>`` (the month's count, which the worker flushes
to ``usage_monthly``) and ``berth:{<endpoint>}:s:<unix second>``; the hash tag
keeps an endpoint's keys on one Redis Cluster slot. A missing month key is
re-seeded from the catalog (one extra round trip, once per endpoint and month).
``FailoverLimiter`` serves from a per-process ``MemoryLimiter`` while Redis is
unreachable and says so through ``degraded``.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol
from uuid import UUID

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError

from control_plane.errors import RateLimited, Unavailable
from control_plane.plans import PLANS, Plan
from control_plane.redis import counters
from control_plane.redis.connect import REDIS_DOWN

Clock = Callable[[], float]
Seed = Callable[[UUID, date], Awaitable[int]]
KEEP_AFTER_MONTH = 35 * 86400
RETRY_REDIS_AFTER = 1.0
REDIS_TIMEOUT = 1.0

SCRIPT = """
local m = redis.call('GET', KEYS[1])
if not m then
  if ARGV[4] == '' then return {-1, 0} end
  redis.call('SET', KEYS[1], ARGV[4], 'EX', ARGV[3], 'NX')
  m = redis.call('GET', KEYS[1])
end
m = tonumber(m)
local quota = tonumber(ARGV[1])
if quota >= 0 and m >= quota then return {1, m} end
local s = redis.call('INCR', KEYS[2])
if s == 1 then redis.call('EXPIRE', KEYS[2], 2) end
if s > tonumber(ARGV[2]) then return {2, m} end
return {0, redis.call('INCR', KEYS[1])}
"""


@dataclass(frozen=True, slots=True)
class Decision:
    """``allowed``, else which limit said no, and what the client should be told."""

    allowed: bool
    limit: int = 0
    remaining: int = 0
    reset: int = 0
    reason: str = ""

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [(b"ratelimit-limit", str(self.limit).encode()),
                (b"ratelimit-remaining", str(self.remaining).encode()),
                (b"ratelimit-reset", str(self.reset).encode())]


ALLOWED = Decision(True)


class LimitExceeded(RateLimited):
    """A call refused by a limit; carries the decision for the ``RateLimit-*`` headers."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(f"over the endpoint's {decision.reason} limit", retry_after=decision.reset)
        self.decision = decision


class Limiter(Protocol):
    async def hit(self, endpoint_id: UUID, plan: str) -> Decision:
        """Count one call if it is allowed; never raises for an unreachable backend it can replace."""
        ...


def month_start(now: float) -> datetime:
    moment = datetime.fromtimestamp(now, UTC)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def seconds_to_next_month(now: float) -> int:
    start = month_start(now)
    following = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(
        month=start.month + 1)
    return max(1, int(following.timestamp() - now + 0.999))


def _plan(name: str) -> Plan:
    return PLANS.get(name, PLANS["free"])


def _over(plan: Plan, code: int, used: int, now: float) -> Decision:
    if code == 1:
        quota = plan.monthly_calls or 0
        return Decision(False, quota, 0, seconds_to_next_month(now), "monthly quota")
    return Decision(False, plan.burst_per_second, 0, 1, "burst")


class RedisLimiter:
    """One EVALSHA per call; raises one of ``REDIS_DOWN`` when Redis cannot answer."""

    def __init__(self, client: aioredis.Redis, seed: Seed, *, clock: Clock = time.time) -> None:
        self._client = client
        self._seed = seed
        self._clock = clock
        self._sha = ""
        self._second = (-1, datetime.min, "", 0)

    def _calendar(self, now: float) -> tuple[datetime, str, int]:
        """The month's start, its key label and its key's TTL: worked out once a second, not per call."""
        second = int(now)
        if self._second[0] != second:
            start = month_start(now)
            self._second = (second, start, f"{start:%Y-%m}", seconds_to_next_month(now) + KEEP_AFTER_MONTH)
        return self._second[1], self._second[2], self._second[3]

    async def hit(self, endpoint_id: UUID, plan_name: str) -> Decision:
        plan, now = _plan(plan_name), self._clock()
        month, label, ttl = self._calendar(now)
        tag = counters.tag(endpoint_id)
        keys = (f"{tag}m:{label}", f"{tag}s:{int(now)}")
        quota = -1 if plan.monthly_calls is None else plan.monthly_calls
        code, used = await self._eval(keys, quota, plan.burst_per_second, ttl, "")
        if code == -1:
            seed = await self._seed(endpoint_id, month.date())
            code, used = await self._eval(keys, quota, plan.burst_per_second, ttl, str(seed))
        return ALLOWED if code == 0 else _over(plan, code, used, now)

    async def _eval(self, keys: tuple[str, str], *args: int | str) -> tuple[int, int]:
        if not self._sha:
            self._sha = await self._client.script_load(SCRIPT)
        try:
            reply = await self._client.evalsha(self._sha, 2, *keys, *args)
        except NoScriptError:  # Redis restarted and lost its script cache
            self._sha = ""
            return await self._eval(keys, *args)
        return int(reply[0]), int(reply[1])


@dataclass
class MemoryLimiter:
    """Per-process counts: the fallback while Redis is down, and the in-package fake for tests."""

    clock: Clock = time.time
    # the latest calls, for tests to read; bounded because this also runs in production while Redis is down
    calls: deque[UUID] = field(default_factory=lambda: deque(maxlen=1000))
    _seconds: dict[UUID, tuple[int, int]] = field(default_factory=dict)
    _months: dict[tuple[UUID, str], int] = field(default_factory=dict)

    async def hit(self, endpoint_id: UUID, plan_name: str) -> Decision:
        plan, now = _plan(plan_name), self.clock()
        self.calls.append(endpoint_id)
        month_key = (endpoint_id, f"{month_start(now):%Y-%m}")
        used = self._months.get(month_key, 0)
        if plan.monthly_calls is not None and used >= plan.monthly_calls:
            return _over(plan, 1, used, now)
        second, count = self._seconds.get(endpoint_id, (0, 0))
        count = count + 1 if second == int(now) else 1
        self._seconds[endpoint_id] = (int(now), count)
        if count > plan.burst_per_second:
            return _over(plan, 2, used, now)
        self._months[month_key] = used + 1
        return ALLOWED


class FailoverLimiter:
    """Redis when it answers; otherwise the per-process limiter, retrying Redis once a second."""

    def __init__(self, primary: Limiter, fallback: Limiter, *, clock: Clock = time.monotonic,
                 timeout: float = REDIS_TIMEOUT) -> None:
        self._primary = primary
        self._timeout = timeout
        self._fallback = fallback
        self._clock = clock
        self._down_since: float | None = None

    @property
    def degraded(self) -> bool:
        return self._down_since is not None

    async def hit(self, endpoint_id: UUID, plan: str) -> Decision:
        if self._down_since is not None and self._clock() - self._down_since < RETRY_REDIS_AFTER:
            return await self._fallback.hit(endpoint_id, plan)
        try:
            # A timer bounds the wait; the client's socket_timeout would cost a task per command.
            async with asyncio.timeout(self._timeout):
                decision = await self._primary.hit(endpoint_id, plan)
        except REDIS_DOWN:
            self._down_since = self._clock()
            return await self._fallback.hit(endpoint_id, plan)
        except Unavailable:  # the month key needs re-seeding and the catalog is down: count here for now
            return await self._fallback.hit(endpoint_id, plan)
        self._down_since = None
        return decision
