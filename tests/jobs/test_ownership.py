"""Ownership on a shared server: reconcile quarantines only its own orphans, drops them after the grace
period, and never touches a database another installation (or nobody) labelled."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import redis.asyncio as aioredis

from control_plane.catalog.db import create_pool
from control_plane.catalog.installation import installation_id
from control_plane.providers.base import DatabaseSpec, ProvisionedDatabase
from control_plane.providers.local import LocalProvider
from control_plane.sealing import Sealer
from jobs.handlers import Resources
from jobs.handlers.quarantine import restore
from jobs.handlers.reconcile import reconcile
from tests.jobs.conftest import Clock, add_endpoint, on_fleet, resources

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


@pytest.fixture
async def second_catalog(server_url: str, template_db: str) -> AsyncIterator[str]:
    """The catalog of a second installation: a copy of the template with an id of its own."""
    name = f"berth_t_{uuid.uuid4().hex[:12]}"
    await on_fleet(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    url = urlunsplit(urlsplit(server_url)._replace(path='/' + name))
    await on_fleet(url, "UPDATE installation SET id = gen_random_uuid()")
    yield url
    await on_fleet(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def churn(res: Resources, catalog: asyncpg.Connection, rounds: int) -> dict[uuid.UUID, str]:
    """Create two endpoints and delete one each round, reconciling in between; the live ones remain."""
    live: dict[uuid.UUID, str] = {}
    for turn in range(rounds):
        for _ in range(2):
            endpoint = await add_endpoint(catalog, uuid.uuid4())
            made: ProvisionedDatabase = await res.provider.create_database(DatabaseSpec(endpoint))
            await catalog.execute(READY, endpoint, made.ref)
            live[endpoint] = made.ref
            await reconcile(res)
        leaving = sorted(live)[turn % len(live)]
        await res.provider.delete_database(live.pop(leaving))
        await catalog.execute(GONE, leaving)
        await reconcile(res)
    return live


async def test_two_installations_on_one_server_never_lose_each_others_databases(
    res: Resources, second_catalog: str, fleet: str, redis_client: aioredis.Redis, sealer: Sealer,
    catalog: asyncpg.Connection, clock: Clock,
) -> None:
    other_catalog = await asyncpg.connect(second_catalog)
    other_pool = await create_pool(second_catalog, "berth_worker", min_size=0, max_size=4)
    other = LocalProvider([fleet], installation=await installation_id(other_catalog))
    # No grace at all: a wrong orphan verdict would drop a database on the spot.
    mine = Resources(res.pool, res.provider, sealer, redis_client, clock, orphan_grace=timedelta(0))
    theirs = resources(other_pool, other, sealer, redis_client, clock, grace=timedelta(0))
    try:
        kept = await asyncio.gather(churn(mine, catalog, 4), churn(theirs, other_catalog, 4))
    finally:
        await other_pool.close()
        await other_catalog.close()
    present = {d.ref for d in await res.provider.list_databases()}
    assert present == set(kept[0].values()) | set(kept[1].values())
    assert len(present) == 8


async def test_a_tenant_role_reaches_no_other_database_and_reads_no_endpoint_id(
    local: LocalProvider, fleet: str,
) -> None:
    endpoint = uuid.uuid4()
    made = await local.create_database(DatabaseSpec(endpoint))
    for database in ("postgres", "template1"):
        elsewhere = urlunsplit(urlsplit(made.owner_dsn)._replace(path="/" + database))
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await asyncpg.connect(elsewhere)
    conn = await asyncpg.connect(made.reader_dsn)
    try:
        seen = await conn.fetch("SELECT datname, shobj_description(oid, 'pg_database') AS comment "
                                "FROM pg_database WHERE datname LIKE 'db\\_%'")
        roles = [r[0] for r in await conn.fetch("SELECT rolname FROM pg_roles")]
    finally:
        await conn.close()
    legacy = "".join("0123456789abcdefghijklmnopqrstuvwxyz"[endpoint.int // 36**i % 36] for i in range(24))
    assert [tuple(row) for row in seen] == [(made.ref, None)]
    assert all(str(endpoint) not in text and legacy not in text for text in [made.ref, *roles])
