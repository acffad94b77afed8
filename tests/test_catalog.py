"""The catalog schema: idempotent migrations, tenant isolation by RLS, append-only audit."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from control_plane.catalog.db import create_pool, tenant_transaction
from control_plane.catalog.migrate import available, check_numbering, migrate

TENANTS = "INSERT INTO tenants (id, name) VALUES ($1, 'a'), ($2, 'b')"
ENDPOINT = """
INSERT INTO endpoints (id, tenant_id, slug, name, plan, provider)
VALUES ($1, $2, $3, 'ep', 'free', 'local')
"""


async def seed_two_tenants(conn: asyncpg.Connection) -> tuple[uuid.UUID, uuid.UUID]:
    a, b = uuid.uuid4(), uuid.uuid4()
    await conn.execute(TENANTS, a, b)
    for tenant in (a, b, a):
        await conn.execute(ENDPOINT, uuid.uuid4(), tenant, uuid.uuid4().hex)
    return a, b


async def test_migrate_twice_changes_nothing(catalog: asyncpg.Connection) -> None:
    assert await migrate(catalog) == []
    versions = await catalog.fetchval("SELECT count(*) FROM schema_migrations")
    assert versions == len(available()) >= 1


async def test_fresh_database_migrates_every_table(
    server_url: str, catalog: asyncpg.Connection
) -> None:
    tables = {
        r["tablename"]
        for r in await catalog.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
    }
    assert {
        "tenants", "users", "memberships", "api_keys", "endpoints", "endpoint_tokens",
        "jobs", "audit_log", "usage_monthly",
    } <= tables


async def test_api_role_sees_nothing_without_tenant(
    catalog: asyncpg.Connection, catalog_url: str
) -> None:
    await seed_two_tenants(catalog)
    pool = await create_pool(catalog_url, "berth_api")
    try:
        async with tenant_transaction(pool, None) as conn:
            assert await conn.fetchval("SELECT count(*) FROM endpoints") == 0
            assert await conn.fetchval("SELECT count(*) FROM tenants") == 0
    finally:
        await pool.close()


async def test_api_role_sees_only_its_tenant(
    catalog: asyncpg.Connection, catalog_url: str
) -> None:
    a, b = await seed_two_tenants(catalog)
    pool = await create_pool(catalog_url, "berth_api")
    try:
        async with tenant_transaction(pool, a) as conn:
            owners = await conn.fetch("SELECT tenant_id FROM endpoints")
            assert [r["tenant_id"] for r in owners] == [a, a]
        async with tenant_transaction(pool, b) as conn:
            assert await conn.fetchval("SELECT count(*) FROM endpoints") == 1
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(ENDPOINT, uuid.uuid4(), a, "forged")
    finally:
        await pool.close()


async def test_api_role_is_neither_owner_nor_bypassrls(catalog: asyncpg.Connection) -> None:
    row = await catalog.fetchrow(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'berth_api'"
    )
    assert row is not None and not row["rolsuper"] and not row["rolbypassrls"]
    owner = await catalog.fetchval("SELECT tableowner FROM pg_tables WHERE tablename='endpoints'")
    assert owner != "berth_api"


async def test_dropping_the_policy_breaks_isolation(
    catalog: asyncpg.Connection, catalog_url: str
) -> None:
    """The isolation test above depends on the policy, not on luck."""
    a, _ = await seed_two_tenants(catalog)
    await catalog.execute("ALTER TABLE endpoints DISABLE ROW LEVEL SECURITY")
    pool = await create_pool(catalog_url, "berth_api")
    try:
        async with tenant_transaction(pool, a) as conn:
            assert await conn.fetchval("SELECT count(*) FROM endpoints") == 3
    finally:
        await pool.close()


@pytest.mark.parametrize("role", ["berth_api", "berth_worker", "berth_gateway"])
async def test_audit_log_rejects_update_and_delete(
    catalog: asyncpg.Connection, catalog_url: str, role: str
) -> None:
    tenant = uuid.uuid4()
    await catalog.execute(
        "INSERT INTO audit_log (tenant_id, actor, action, outcome) VALUES ($1, 'u', 'x', 'ok')",
        tenant,
    )
    pool = await create_pool(catalog_url, role)  # type: ignore[arg-type]
    try:
        for sql in ("UPDATE audit_log SET outcome = 'forged'", "DELETE FROM audit_log",
                    "TRUNCATE audit_log"):
            async with tenant_transaction(pool, tenant) as conn:
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute(sql)
    finally:
        await pool.close()
    assert await catalog.fetchval("SELECT outcome FROM audit_log") == "ok"


async def test_audit_trigger_stops_even_the_owner(catalog: asyncpg.Connection) -> None:
    await catalog.execute(
        "INSERT INTO audit_log (actor, action, outcome) VALUES ('u', 'x', 'ok')"
    )
    for sql in ("UPDATE audit_log SET outcome = 'forged'", "DELETE FROM audit_log",
                "TRUNCATE audit_log"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await catalog.execute(sql)


async def test_without_the_trigger_the_owner_could_rewrite(catalog: asyncpg.Connection) -> None:
    """The trigger test above fails when the trigger is gone."""
    await catalog.execute(
        "INSERT INTO audit_log (actor, action, outcome) VALUES ('u', 'x', 'ok')"
    )
    await catalog.execute("DROP TRIGGER audit_log_no_change ON audit_log")
    await catalog.execute("UPDATE audit_log SET outcome = 'forged'")
    assert await catalog.fetchval("SELECT outcome FROM audit_log") == "forged"


async def test_gateway_role_cannot_read_tenants_or_users(
    catalog: asyncpg.Connection, catalog_url: str
) -> None:
    pool = await create_pool(catalog_url, "berth_gateway")
    try:
        async with pool.acquire() as conn:
            for table in ("tenants", "users", "api_keys", "jobs"):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.fetch(f"SELECT * FROM {table}")
    finally:
        await pool.close()


def test_migrations_are_numbered_once_each_without_gaps() -> None:
    versions = [m.version for m in available()]
    check_numbering(versions)
    for broken in ([1, 3, 3, 4], [1, 3, 5], [2, 3], [1, 4]):
        with pytest.raises(RuntimeError, match="numbered"):
            check_numbering(broken)
