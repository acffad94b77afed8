"""A tenant cannot block another's teardown: grants to the other's roles and a rewritten comment on its
own database change nothing, and both the endpoint and the account deletion complete."""

from __future__ import annotations

import uuid

import asyncpg
import redis.asyncio as aioredis

from control_plane.providers.base import DatabaseSpec
from control_plane.providers.local import LocalProvider, role_names
from control_plane.sealing import Sealer
from tests.jobs.conftest import Clock, add_endpoint, add_job, job_row, on_fleet, resources, runner
from tests.jobs.test_faults import drain

USER = "INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'x')"
MEMBER = "INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')"
DELETING = "UPDATE endpoints SET status = 'deleting' WHERE id = $1"


async def attack(dsn: str, database: str, victims: list[str]) -> None:
    """What any write token could send: grants to another endpoint's roles, and a forged comment."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE TABLE loot (x int); INSERT INTO loot VALUES (1)")
        for role in victims:
            await conn.execute(f'GRANT SELECT ON loot TO "{role}"')
            await conn.execute(f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"')
            await conn.execute(f'ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO "{role}"')
    finally:
        await conn.close()


async def test_grants_to_a_tenants_roles_cannot_block_its_deletions(
    local: LocalProvider, fleet: str, pool: asyncpg.Pool, catalog: asyncpg.Connection,
    redis_client: aioredis.Redis, sealer: Sealer, clock: Clock,
) -> None:
    a, b, user = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    first, second = await add_endpoint(catalog, a), await add_endpoint(catalog, a)
    await catalog.execute("UPDATE tenants SET id = $1 WHERE id = $1", a)
    await catalog.execute(USER, user, "a@example.com")
    await catalog.execute(MEMBER, a, user)
    work = runner(resources(pool, local, sealer, redis_client, clock), clock)
    for endpoint in (first, second):
        await add_job(catalog, "provision", {"endpoint_id": str(endpoint)}, a)
    await drain(work, clock, pool)
    refs = [local.database_name(e) for e in (first, second)]
    theirs = await add_endpoint(catalog, b, status="ready")
    made = await local.create_database(DatabaseSpec(theirs))
    await catalog.execute("UPDATE endpoints SET provider_ref = $2 WHERE id = $1", theirs, made.ref)
    await attack(made.owner_dsn, made.ref, [r for ref in refs for r in role_names(ref)])
    await on_fleet(fleet, f"COMMENT ON DATABASE \"{made.ref}\" IS 'berth endpoint {second}'")

    await catalog.execute(DELETING, first)
    one = await add_job(catalog, "delete_endpoint", {"endpoint_id": str(first)}, a)
    await drain(work, clock, pool)
    assert (await job_row(catalog, one))["status"] == "done"
    await catalog.execute("UPDATE tenants SET status = 'deleting' WHERE id = $1", a)
    every = await add_job(catalog, "delete_account", {"tenant_id": str(a)}, a)
    await drain(work, clock, pool)
    assert (await job_row(catalog, every))["status"] == "done"

    names = refs + [r for ref in refs for r in role_names(ref)]
    left = await on_fleet(fleet, "SELECT datname FROM pg_database WHERE datname = ANY($1) UNION ALL "
                                 "SELECT rolname FROM pg_roles WHERE rolname = ANY($1)", names)
    assert left == []
    assert await catalog.fetchval("SELECT count(*) FROM users WHERE id = $1", user) == 0
    assert await catalog.fetchval("SELECT status FROM tenants WHERE id = $1", a) == "deleted"
    conn = await asyncpg.connect(made.owner_dsn)  # the attacker's own data is untouched
    try:
        assert await conn.fetchval("SELECT x FROM loot") == 1
    finally:
        await conn.close()
