"""A provider failing at each step in turn, and a worker killed between steps: once retries finish,
no database, role or sealed secret is left behind and no endpoint is stuck."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import asyncpg
import pytest
import redis.asyncio as aioredis

from control_plane.errors import ProviderError
from control_plane.providers.base import DatabaseInfo, DatabaseSpec, Provider, ProvisionedDatabase
from control_plane.providers.fake import FakeProvider
from control_plane.providers.local import LocalProvider, role_names
from control_plane.sealing import Sealer
from jobs.runner import Runner
from tests.jobs.conftest import Clock, add_endpoint, add_job, resources, runner


class Killed(BaseException):
    """The worker process died here: nothing after this line of the job runs."""


def http_5xx() -> ProviderError:
    return ProviderError("provider answered 503", retryable=True)


def timeout() -> TimeoutError:
    return TimeoutError("provider did not answer in time")


@dataclass
class Flaky:
    """A real provider; ``before[method]`` errors raise before the call, ``after`` kills after it."""

    inner: Provider
    before: dict[str, list[BaseException]] = field(default_factory=dict)
    after: dict[str, int] = field(default_factory=dict)
    skip_delete: int = 0  # deletes that report success but leave the database (caught by verify)
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.inner.name

    def _before(self, method: str) -> None:
        if self.before.get(method):
            raise self.before[method].pop(0)

    def _after(self, method: str) -> None:
        if self.after.get(method, 0) > 0:
            self.after[method] -= 1
            raise Killed(method)

    async def create_database(self, spec: DatabaseSpec) -> ProvisionedDatabase:
        self._before("create_database")
        made = await self.inner.create_database(spec)
        self._after("create_database")
        return made

    async def get_database(self, ref: str) -> DatabaseInfo | None:
        self._before("get_database")
        return await self.inner.get_database(ref)

    async def delete_database(self, ref: str) -> None:
        self._before("delete_database")
        if self.skip_delete > 0:
            self.skip_delete -= 1
            return
        await self.inner.delete_database(ref)
        self._after("delete_database")

    async def list_databases(self) -> list[DatabaseInfo]:
        return await self.inner.list_databases()

    async def aclose(self) -> None:
        await self.inner.aclose()


SCENARIOS = {
    "create fails 5xx then times out": dict(before={"create_database": [http_5xx(), timeout()]}),
    "killed after create": dict(after={"create_database": 1}),
    "verify fails 5xx": dict(before={"get_database": [http_5xx(), timeout()]}),
    "delete silently leaves it": dict(skip_delete=1),
    "delete fails 5xx then times out": dict(before={"delete_database": [timeout(), http_5xx()]}),
    "killed after delete": dict(after={"delete_database": 1}),
}


async def drain(work: Runner, clock: Clock, pool: asyncpg.Pool) -> None:
    """Run until no job is left queued or running; a kill leaves its lease to run out."""
    for _ in range(100):
        try:
            said = await work.run_once()
        except Killed:
            clock.advance(61)
            continue
        if not said:
            if not await pool.fetchval("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')"):
                return
            clock.advance(30)  # past the next backoff
    raise AssertionError("jobs did not settle")


@pytest.fixture(params=["fake", "local"])
async def provider(request: pytest.FixtureRequest, server_url: str) -> AsyncIterator[Provider]:
    local = LocalProvider([server_url], installation=uuid.uuid4())
    made: Provider = FakeProvider() if request.param == "fake" else local
    yield made
    await made.aclose()


async def leftovers(provider: Provider, server_url: str, endpoint: uuid.UUID) -> list[str]:
    if isinstance(provider, FakeProvider):
        return list(provider.databases)
    name = provider.database_name(endpoint)
    conn = await asyncpg.connect(server_url)
    try:
        dbs = await conn.fetch("SELECT datname FROM pg_database WHERE datname = $1", name)
        roles = await conn.fetch("SELECT rolname FROM pg_roles WHERE rolname = ANY($1)",
                                 list(role_names(name)))
    finally:
        await conn.close()
    return [r[0] for r in dbs] + [r[0] for r in roles]


@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_each_failing_step_is_retried_to_a_clean_end(
    scenario: str, provider: Provider, server_url: str, pool: asyncpg.Pool, catalog: asyncpg.Connection,
    redis_client: aioredis.Redis, sealer: Sealer, clock: Clock,
) -> None:
    flaky = Flaky(provider, **SCENARIOS[scenario])  # type: ignore[arg-type]
    work = runner(resources(pool, flaky, sealer, redis_client, clock), clock)
    tenant = uuid.uuid4()
    endpoint = await add_endpoint(catalog, tenant)
    await add_job(catalog, "provision", {"endpoint_id": str(endpoint)}, tenant)
    await drain(work, clock, pool)
    assert await catalog.fetchval("SELECT status FROM endpoints WHERE id = $1", endpoint) == "ready"

    await catalog.execute("UPDATE endpoints SET status = 'deleting' WHERE id = $1", endpoint)
    await add_job(catalog, "delete_endpoint", {"endpoint_id": str(endpoint)}, tenant)
    await drain(work, clock, pool)

    row = await catalog.fetchrow("SELECT * FROM endpoints WHERE id = $1", endpoint)
    assert row["status"] == "deleted"
    assert (row["seal_key_id"], row["sealed_owner_dsn"], row["sealed_reader_dsn"]) == (None, None, None)
    assert await leftovers(provider, server_url, endpoint) == []
    assert await catalog.fetchval("SELECT count(*) FROM jobs WHERE status <> 'done'") == 0
    assert not any(flaky.before.values()) and not any(flaky.after.values()) and flaky.skip_delete == 0
