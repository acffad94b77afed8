"""Reconcile against a Postgres cluster of its own (never the shared one, whose databases other tests own)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio as aioredis

from cli.embedded import embedded_postgres
from control_plane.providers.base import DatabaseSpec
from control_plane.providers.local import LocalProvider, database_name, role_names
from control_plane.sealing import Sealer
from jobs.handlers import Resources
from jobs.handlers.reconcile import RECONCILE_LOCK, VANISHED_REASON, reconcile
from tests.jobs.conftest import Clock, add_endpoint, add_job, job_row, resources, runner

BEHIND_BACK = "db_" + "z" * 24


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with embedded_postgres(Path(tmp_path_factory.mktemp("fleet"))) as url:
        yield url


async def on_fleet(fleet: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(fleet)
    try:
        rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
        return rows
    finally:
        await conn.close()


@pytest.fixture
async def local(fleet: str) -> AsyncIterator[LocalProvider]:
    provider = LocalProvider([fleet])
    yield provider
    for database in await provider.list_databases():
        await provider.delete_database(database.ref)
    await on_fleet(fleet, "DROP DATABASE IF EXISTS shop_data")
    await provider.aclose()


@pytest.fixture
def res(local: LocalProvider, pool: asyncpg.Pool, redis_client: aioredis.Redis, sealer: Sealer,
        clock: Clock) -> Resources:
    return resources(pool, local, sealer, redis_client, clock)


async def databases(fleet: str) -> list[str]:
    rows = await on_fleet(fleet, "SELECT datname FROM pg_database WHERE datname LIKE 'db\\_%' "
                                 "OR datname = 'shop_data' ORDER BY datname")
    return [r[0] for r in rows]


async def test_a_database_made_behind_our_back_goes_and_a_foreign_one_stays(
    res: Resources, local: LocalProvider, fleet: str, catalog: asyncpg.Connection,
) -> None:
    tenant = uuid.uuid4()
    ready = await add_endpoint(catalog, tenant, status="ready")
    ready_ref = (await local.create_database(DatabaseSpec(ready))).ref
    await catalog.execute("UPDATE endpoints SET provider_ref = $2 WHERE id = $1", ready, ready_ref)
    creating = await add_endpoint(catalog, tenant)  # made, its reference not yet recorded
    await local.create_database(DatabaseSpec(creating))
    await on_fleet(fleet, f'CREATE DATABASE "{BEHIND_BACK}"')
    await on_fleet(fleet, "CREATE DATABASE shop_data")
    before = await databases(fleet)

    assert await reconcile(res, dry_run=True) == [f"would delete orphaned database {BEHIND_BACK}"]
    assert await databases(fleet) == before
    assert await reconcile(res) == [f"deleted orphaned database {BEHIND_BACK}"]
    assert await databases(fleet) == sorted([ready_ref, database_name(creating), "shop_data"])
    roles = await on_fleet(fleet, "SELECT rolname FROM pg_roles WHERE rolname = ANY($1)",
                           list(role_names(BEHIND_BACK)))
    assert roles == []
    audit = await catalog.fetch("SELECT action, target FROM audit_log")
    assert [tuple(a) for a in audit] == [("reconcile.orphan_deleted", BEHIND_BACK)]
    assert await reconcile(res) == ["provider and catalog agree"]


async def test_a_vanished_database_fails_its_endpoint(
    res: Resources, pool: asyncpg.Pool, catalog: asyncpg.Connection, clock: Clock,
) -> None:
    gone = database_name(uuid.uuid4())
    endpoint = await add_endpoint(catalog, uuid.uuid4(), status="ready", ref=gone)
    job_id = await add_job(catalog, "reconcile", {})
    said = await runner(res, clock).run_once()
    assert said == [f"job {job_id} (reconcile) done: "
                    f"endpoint {endpoint} is now failed: its database {gone} vanished"]
    row = await catalog.fetchrow("SELECT status, failure_reason FROM endpoints WHERE id = $1", endpoint)
    assert tuple(row) == ("failed", VANISHED_REASON)
    audit = await catalog.fetchrow("SELECT action, outcome, endpoint_id FROM audit_log")
    assert tuple(audit) == ("endpoint.failed", "error", endpoint)
    assert (await job_row(catalog, job_id))["status"] == "done"


async def test_stuck_provisioning_and_deleting_are_enqueued_again_once(
    res: Resources, catalog: asyncpg.Connection,
) -> None:
    tenant = uuid.uuid4()
    stuck, waiting, fresh = [await add_endpoint(catalog, tenant) for _ in range(3)]
    deleting = await add_endpoint(catalog, tenant, status="deleting")
    leaving = uuid.uuid4()  # an account being deleted: its own job tears the endpoint down
    await add_endpoint(catalog, leaving, status="deleting")
    await add_job(catalog, "delete_account", {"tenant_id": str(leaving)}, leaving)
    await catalog.execute("UPDATE endpoints SET updated_at = now() - interval '20 minutes' WHERE id <> $1",
                          fresh)
    await add_job(catalog, "provision", {"endpoint_id": str(waiting)}, tenant)
    assert await reconcile(res, dry_run=True) == [
        f"endpoint {stuck} stuck provisioning: would re-enqueue provision",
        f"endpoint {deleting} stuck deleting: would re-enqueue delete_endpoint"]
    assert await reconcile(res) == [f"endpoint {stuck} stuck provisioning: re-enqueued provision",
                                    f"endpoint {deleting} stuck deleting: re-enqueued delete_endpoint"]
    jobs = await catalog.fetch("SELECT kind, payload->>'endpoint_id' AS e FROM jobs "
                               "WHERE kind <> 'delete_account' ORDER BY id")
    assert [tuple(j) for j in jobs] == [("provision", str(waiting)), ("provision", str(stuck)),
                                        ("delete_endpoint", str(deleting))]
    assert await reconcile(res) == ["provider and catalog agree"]


async def test_one_reconciler_at_a_time(res: Resources, catalog: asyncpg.Connection, fleet: str) -> None:
    await on_fleet(fleet, f'CREATE DATABASE "{BEHIND_BACK}"')
    await catalog.execute("SELECT pg_advisory_lock($1)", RECONCILE_LOCK)
    assert await reconcile(res) == ["another reconciler is running; this pass skipped"]
    assert BEHIND_BACK in await databases(fleet)
    await catalog.execute("SELECT pg_advisory_unlock($1)", RECONCILE_LOCK)
    assert await reconcile(res) == [f"deleted orphaned database {BEHIND_BACK}"]
