"""Reconcile against a Postgres cluster of its own (never the shared one, whose databases other tests own)."""

from __future__ import annotations

import uuid

import asyncpg

from control_plane.providers.base import DatabaseSpec
from control_plane.providers.local import LocalProvider
from jobs.handlers import Resources
from jobs.handlers.reconcile import RECONCILE_LOCK, VANISHED_REASON, reconcile, stuck_deletions
from tests.jobs.conftest import Clock, add_endpoint, add_job, job_row, runner


async def test_a_vanished_database_fails_its_endpoint(
    res: Resources, local: LocalProvider, catalog: asyncpg.Connection, clock: Clock,
) -> None:
    gone = local.database_name(uuid.uuid4())
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


async def test_one_reconciler_at_a_time(
    res: Resources, local: LocalProvider, catalog: asyncpg.Connection, fleet: str,
) -> None:
    orphan = (await local.create_database(DatabaseSpec(uuid.uuid4()))).ref
    await catalog.execute("SELECT pg_advisory_lock($1)", RECONCILE_LOCK)
    assert await reconcile(res) == ["another reconciler is running; this pass skipped"]
    assert await local.get_database(orphan) is not None
    await catalog.execute("SELECT pg_advisory_unlock($1)", RECONCILE_LOCK)
    assert (await reconcile(res))[0].startswith(f"quarantined orphaned database {orphan}")


async def test_a_dead_account_deletion_is_taken_up_again_and_named_until_then(
    res: Resources, catalog: asyncpg.Connection, pool: asyncpg.Pool, clock: Clock,
) -> None:
    tenant = uuid.uuid4()
    endpoint = await add_endpoint(catalog, tenant, status="deleting")
    await catalog.execute("UPDATE tenants SET status = 'deleting', "
                          "deleted_at = now() - interval '20 minutes'")
    await catalog.execute("UPDATE endpoints SET updated_at = now() - interval '20 minutes'")
    dead = await add_job(catalog, "delete_account", {"tenant_id": str(tenant)}, tenant)
    await catalog.execute("UPDATE jobs SET status = 'dead' WHERE id = $1", dead)
    assert await stuck_deletions(pool, clock()) == [f"account {tenant}", f"endpoint {endpoint}"]
    assert await reconcile(res) == [f"account {tenant} stuck deleting: re-enqueued delete_account"]
    again = await catalog.fetchval("SELECT id FROM jobs WHERE kind = 'delete_account' AND status = 'queued'")
    assert again is not None and again != dead
    assert await stuck_deletions(pool, clock()) == []
    assert await reconcile(res) == ["provider and catalog agree"]
