"""Fixtures for the worker tests: a worker-role pool, a hand-driven clock, endpoints and jobs."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest
import redis.asyncio as aioredis

from cli.embedded import embedded_postgres
from control_plane.catalog.db import create_pool
from control_plane.catalog.jobs import Kind, enqueue
from control_plane.catalog.jobs.lease import Queue
from control_plane.providers.base import Provider
from control_plane.providers.fake import FakeProvider
from control_plane.providers.local import LocalProvider
from control_plane.sealing import Sealer
from control_plane.settings import Settings
from jobs.handlers import Resources
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
    return Sealer.from_setting(settings.seal_keys_value)


@pytest.fixture
def fake() -> FakeProvider:
    return FakeProvider()


def resources(pool: asyncpg.Pool, provider: Provider, sealer: Sealer, redis: aioredis.Redis,
              clock: Clock, grace: timedelta = timedelta(hours=24)) -> Resources:
    return Resources(pool, provider, sealer, redis, clock, orphan_grace=grace)


def runner(res: Resources, clock: Clock, name: str = "w1", lease: float = 60.0, **kw: Any) -> Runner:
    queue = Queue(res.pool, name, lease_seconds=lease, clock=clock, rand=lambda: 0.5)
    return Runner(queue, res, **kw)


async def add_endpoint(conn: asyncpg.Connection, tenant_id: uuid.UUID, *, status: str = "provisioning",
                       ref: str | None = None) -> uuid.UUID:
    endpoint_id = uuid.uuid4()
    await conn.execute(TENANT, tenant_id)
    await conn.execute(ENDPOINT, endpoint_id, tenant_id, uuid.uuid4().hex, status, ref)
    return endpoint_id


async def add_job(conn: asyncpg.Connection, kind: Kind, payload: dict[str, Any],
                  tenant_id: uuid.UUID | None = None) -> int:
    # Due a moment ago, so a test clock read just before is already past it.
    job_id = await enqueue(conn, kind, payload, tenant_id=tenant_id,
                           run_at=datetime.now(UTC) - timedelta(seconds=5))
    return job_id


async def job_row(conn: asyncpg.Connection, job_id: int) -> asyncpg.Record:
    row = await conn.fetchrow("SELECT * FROM jobs WHERE id = $1", job_id)
    assert row is not None
    return row


@pytest.fixture(scope="session")
def fleet() -> Iterator[str]:
    """A Postgres cluster of the reconcile tests' own: reconcile acts on every database of a server.

    Outside pytest's numbered temp folders, which a concurrent run on the same machine may prune.
    """
    with tempfile.TemporaryDirectory(prefix="berth-fleet-") as folder, embedded_postgres(Path(folder)) as url:
        yield url


async def on_fleet(fleet: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(fleet)
    try:
        rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
        return rows
    finally:
        await conn.close()


async def wipe(fleet: str) -> None:
    """Every endpoint database, role and label on the fleet gone, whoever made them."""
    for row in await on_fleet(fleet, "SELECT datname FROM pg_database WHERE datname LIKE 'db\\_%'"):
        await on_fleet(fleet, f'DROP DATABASE "{row[0]}" WITH (FORCE)')
    for row in await on_fleet(fleet, "SELECT rolname FROM pg_roles WHERE rolname LIKE 'r\\_%'"):
        await on_fleet(fleet, f'DROP OWNED BY "{row[0]}"')
        await on_fleet(fleet, f'DROP ROLE "{row[0]}"')
    await on_fleet(fleet, "DROP SCHEMA IF EXISTS berth_fleet CASCADE")


@pytest.fixture
async def local(fleet: str, installation: uuid.UUID) -> AsyncIterator[LocalProvider]:
    """The fleet's provider for this test's installation; the fleet is wiped afterwards."""
    provider = LocalProvider([fleet], installation=installation)
    yield provider
    await wipe(fleet)
    await provider.aclose()


@pytest.fixture
def res(local: LocalProvider, pool: asyncpg.Pool, redis_client: aioredis.Redis, sealer: Sealer,
        clock: Clock) -> Resources:
    return resources(pool, local, sealer, redis_client, clock)
