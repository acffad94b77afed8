"""Ownership on a shared server: reconcile quarantines only its own orphans, drops them after the grace
period, and never touches a database another installation (or nobody) labelled."""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
import pytest

from control_plane.providers.base import DatabaseSpec
from control_plane.providers.local import LocalProvider
from jobs.handlers import Resources
from jobs.handlers.quarantine import restore
from jobs.handlers.reconcile import reconcile
from tests.jobs.conftest import Clock, add_endpoint, on_fleet

BEHIND_BACK = "db_" + "z" * 24
READY = "UPDATE endpoints SET status = 'ready', provider_ref = $2 WHERE id = $1"
GONE = "UPDATE endpoints SET status = 'deleted', provider_ref = NULL WHERE id = $1"


async def connects(dsn: str) -> bool:
    try:
        conn = await asyncpg.connect(dsn)
    except (asyncpg.PostgresError, OSError):
        return False
    await conn.close()
    return True


async def run_as(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
async def neighbour(fleet: str) -> LocalProvider:
    """Another installation whose local provider uses the same server."""
    return LocalProvider([fleet], installation=uuid.uuid4())


async def test_an_orphan_is_quarantined_then_dropped_and_strangers_are_left_alone(
    res: Resources, local: LocalProvider, neighbour: LocalProvider, catalog: asyncpg.Connection,
    fleet: str, clock: Clock,
) -> None:
    live = await add_endpoint(catalog, uuid.uuid4(), status="ready")
    kept = await local.create_database(DatabaseSpec(live))
    await catalog.execute(READY, live, kept.ref)
    orphan = await local.create_database(DatabaseSpec(uuid.uuid4()))
    foreign = await neighbour.create_database(DatabaseSpec(uuid.uuid4()))
    await on_fleet(fleet, f'CREATE DATABASE "{BEHIND_BACK}"')
    left = [f"left alone: database {foreign.ref} carries another installation's label",
            f"left alone: database {BEHIND_BACK} has no Berth label"]

    dry = await reconcile(res, dry_run=True)
    assert sorted(dry) == sorted([*left, f"would quarantine orphaned database {orphan.ref}; "
                                          "dropped after 1 day, 0:00:00 unless restored"])
    assert await connects(orphan.owner_dsn)
    await reconcile(res)
    assert not await connects(orphan.owner_dsn) and not await connects(orphan.reader_dsn)
    assert await connects(kept.owner_dsn) and await connects(foreign.owner_dsn)

    clock.advance(timedelta(hours=23).total_seconds())
    assert f"would delete orphaned database {orphan.ref}" not in await reconcile(res, dry_run=True)
    clock.advance(timedelta(hours=1, seconds=1).total_seconds())
    assert f"deleted orphaned database {orphan.ref}" in await reconcile(res)
    assert await local.get_database(orphan.ref) is None
    assert {d.ref for d in await local.list_databases()} == {kept.ref, foreign.ref, BEHIND_BACK}
    audit = await catalog.fetch("SELECT action, target FROM audit_log ORDER BY id")
    assert [tuple(a) for a in audit] == [("reconcile.orphan_quarantined", orphan.ref),
                                         ("reconcile.orphan_deleted", orphan.ref)]


async def test_restore_undoes_a_quarantine(
    res: Resources, local: LocalProvider, catalog: asyncpg.Connection,
) -> None:
    orphan = await local.create_database(DatabaseSpec(uuid.uuid4()))
    await reconcile(res)
    assert not await connects(orphan.owner_dsn)
    said = await restore(res, orphan.ref, actor="operator:test")
    assert said == f"restored database {orphan.ref}: its roles may connect again"
    assert await connects(orphan.owner_dsn) and await connects(orphan.reader_dsn)
    assert await catalog.fetchval("SELECT count(*) FROM quarantined_databases") == 0
    actor = await catalog.fetchval("SELECT actor FROM audit_log WHERE action = 'reconcile.orphan_restored'")
    assert actor == "operator:test"


async def test_a_comment_a_tenant_rewrites_changes_nothing(
    res: Resources, local: LocalProvider, neighbour: LocalProvider, catalog: asyncpg.Connection,
) -> None:
    mine = await add_endpoint(catalog, uuid.uuid4(), status="ready")
    made = await local.create_database(DatabaseSpec(mine))
    await catalog.execute(READY, mine, made.ref)
    theirs = await neighbour.create_database(DatabaseSpec(uuid.uuid4()))
    # Both owners claim the other's endpoint in the comment the old reconciler trusted.
    await run_as(made.owner_dsn, f"COMMENT ON DATABASE \"{made.ref}\" IS 'berth endpoint {uuid.uuid4()}'")
    await run_as(theirs.owner_dsn, f"COMMENT ON DATABASE \"{theirs.ref}\" IS 'berth endpoint {mine}'")
    assert await reconcile(res) == [f"left alone: database {theirs.ref} carries another installation's label"]
    assert (await local.get_database(made.ref)) is not None
    assert await connects(made.owner_dsn) and await connects(theirs.owner_dsn)


async def test_a_database_made_before_labels_is_adopted_when_the_catalog_knows_it(
    res: Resources, local: LocalProvider, catalog: asyncpg.Connection, fleet: str,
) -> None:
    endpoint = await add_endpoint(catalog, uuid.uuid4(), status="ready", ref=BEHIND_BACK)
    await on_fleet(fleet, f'CREATE DATABASE "{BEHIND_BACK}"')
    await on_fleet(fleet, f"COMMENT ON DATABASE \"{BEHIND_BACK}\" IS 'berth endpoint {endpoint}'")
    assert await reconcile(res) == [f"labelled database {BEHIND_BACK} as this installation's "
                                    f"(endpoint {endpoint})"]
    found = await local.get_database(BEHIND_BACK)
    assert found is not None and found.endpoint_id == endpoint
    comment = await on_fleet(fleet, "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                                    "WHERE datname = $1", BEHIND_BACK)
    assert comment[0][0] is None
    assert await reconcile(res) == ["provider and catalog agree"]


async def test_a_teardown_refuses_another_installations_database(
    local: LocalProvider, neighbour: LocalProvider,
) -> None:
    theirs = await neighbour.create_database(DatabaseSpec(uuid.uuid4()))
    with pytest.raises(Exception, match="belongs to another installation"):
        await local.delete_database(theirs.ref)
    assert await connects(theirs.owner_dsn)
