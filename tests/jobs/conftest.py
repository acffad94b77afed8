"""Fixtures for the worker tests: a worker-role pool, a hand-driven clock, endpoints and jobs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson
import pytest
import redis.asyncio as aioredis

from control_plane.catalog.db import create_pool
from control_plane.catalog.queue import JobKind, enqueue
from control_plane.providers.base import Provider
from control_plane.providers.fake import FakeProvider
from control_plane.sealing import Sealer
from control_plane.settings import Settings
from jobs.handlers import Resources
from jobs.queue import Queue
from jobs.runner import Runner

TENANT = "INSERT INTO tenants (id, name) VALUES ($1, 'acme') ON CONFLICT DO NOTHING"
ENDPOINT = """
INSERT INTO endpoints (id, tenant_id, slug, name, plan, provider, status, provider_ref)
VALUES ($1, $2, $3, 'shop', 'free', 'fake', $4, $5)
"""


class Clock:
    """Wall time that a test moves forward by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def catalog(catalog_url: str) -> AsyncIterator[asyncpg.Connection]:
    """The suite's owner connection, with the JSON codecs the application's pools use."""
    conn = await asyncpg.connect(catalog_url)
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads,
                                  schema="pg_catalog")
    yield conn
    await conn.close()


@pytest.fixture
async def pool(catalog_url: str) -> AsyncIterator[asyncpg.Pool]:
    worker = await create_pool(catalog_url, "berth_worker", min_size=0, max_size=6)
    yield worker
    await worker.close()


@pytest.fixture
def sealer(settings: Settings) -> Sealer:
    return Sealer.from_setting(settings.secret("seal_keys"))


@pytest.fixture
def fake() -> FakeProvider:
    return FakeProvider()


def resources(pool: asyncpg.Pool, provider: Provider, sealer: Sealer, redis: aioredis.Redis,
              clock: Clock) -> Resources:
    return Resources(pool, provider, sealer, redis, clock)


def runner(res: Resources, clock: Clock, name: str = "w1", lease: float = 60.0, **kw: Any) -> Runner:
    queue = Queue(res.pool, name, lease_seconds=lease, clock=clock, rand=lambda: 0.5)
    return Runner(queue, res, **kw)


async def add_endpoint(conn: asyncpg.Connection, tenant_id: uuid.UUID, *, status: str = "provisioning",
                       ref: str | None = None) -> uuid.UUID:
    endpoint_id = uuid.uuid4()
    await conn.execute(TENANT, tenant_id)
    await conn.execute(ENDPOINT, endpoint_id, tenant_id, uuid.uuid4().hex, status, ref)
    return endpoint_id


async def add_job(conn: asyncpg.Connection, kind: JobKind, payload: dict[str, Any],
                  tenant_id: uuid.UUID | None = None) -> int:
    # Due a moment ago, so a test clock read just before is already past it.
    job_id = await enqueue(conn, kind, payload, tenant_id=tenant_id,
                           run_at=datetime.now(UTC) - timedelta(seconds=5))
    return job_id


async def job_row(conn: asyncpg.Connection, job_id: int) -> asyncpg.Record:
    row = await conn.fetchrow("SELECT * FROM jobs WHERE id = $1", job_id)
    assert row is not None
    return row
