"""The local provider on a real server: isolation per endpoint, idempotent create and delete."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import asyncpg
import pytest

from cli.embedded import embedded_postgres
from control_plane.providers.base import DatabaseSpec
from control_plane.providers.local import LocalProvider, role_names

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

Spec = Callable[[], DatabaseSpec]


@pytest.fixture
def endpoint_ids() -> list[uuid.UUID]:
    return []


@pytest.fixture
async def provider(server_url: str, endpoint_ids: list[uuid.UUID]) -> AsyncIterator[LocalProvider]:
    made = LocalProvider([server_url], installation=uuid.uuid4(), connection_limit=5)
    yield made
    # Only what this test's endpoints made: other tests share the server.
    for endpoint_id in endpoint_ids:
        await made.delete_database(made.database_name(endpoint_id))


@pytest.fixture
def spec(endpoint_ids: list[uuid.UUID]) -> Spec:
    def make() -> DatabaseSpec:
        endpoint_ids.append(uuid.uuid4())
        return DatabaseSpec(endpoint_ids[-1])
    return make


async def _roles(server_url: str, names: tuple[str, ...]) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(server_url)
    try:
        rows: list[asyncpg.Record] = await conn.fetch(
            "SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolconnlimit FROM pg_roles "
            "WHERE rolname = ANY($1) ORDER BY rolname", list(names))
        return rows
    finally:
        await conn.close()


async def test_create_makes_database_owner_and_reader(
    provider: LocalProvider, server_url: str, spec: Spec, endpoint_ids: list[uuid.UUID],
) -> None:
    db = await provider.create_database(spec())
    endpoint = endpoint_ids[-1]
    assert db.ref == provider.database_name(endpoint)
    roles = await _roles(server_url, role_names(db.ref))
    assert [r["rolname"] for r in roles] == sorted(role_names(db.ref))
    assert not any(r["rolsuper"] or r["rolcreatedb"] or r["rolcreaterole"] for r in roles)
    assert {r["rolconnlimit"] for r in roles} == {5}
    owner = await asyncpg.connect(db.owner_dsn)
    await owner.execute("CREATE TABLE t (id int); INSERT INTO t VALUES (1); CREATE SEQUENCE s; "
                        "CREATE SCHEMA sales; CREATE TABLE sales.orders (id serial)")
    await owner.close()
    reader = await asyncpg.connect(db.reader_dsn)
    try:
        assert await reader.fetchval("SELECT count(*) FROM t") == 1
        # The same grants as Neon's reader (providers/grants.py): sequences, and schemas made later.
        assert await reader.fetchval("SELECT last_value FROM s") == 1
        assert await reader.fetchval("SELECT count(*) FROM sales.orders") == 0
        assert await reader.fetchval("SELECT last_value FROM sales.orders_id_seq") == 1
        with pytest.raises(asyncpg.PostgresError):
            await reader.execute("SET default_transaction_read_only = off; INSERT INTO t VALUES (2)")
        with pytest.raises(asyncpg.PostgresError):
            await reader.execute("CREATE TABLE u (id int)")
    finally:
        await reader.close()


async def test_retried_create_finds_the_same_database(
    provider: LocalProvider, spec: Spec, endpoint_ids: list[uuid.UUID],
) -> None:
    first = await provider.create_database(spec())
    endpoint = endpoint_ids[-1]
    conn = await asyncpg.connect(first.owner_dsn)
    await conn.execute("CREATE TABLE kept (id int)")
    await conn.close()
    again = await provider.create_database(DatabaseSpec(endpoint))
    assert again.ref == first.ref
    conn = await asyncpg.connect(again.owner_dsn)
    try:
        assert await conn.fetchval("SELECT to_regclass('kept') IS NOT NULL")
    finally:
        await conn.close()
    assert [d.endpoint_id for d in await provider.list_databases() if d.ref == first.ref] == [endpoint]


async def test_one_endpoints_roles_cannot_reach_another(provider: LocalProvider, spec: Spec) -> None:
    a = await provider.create_database(spec())
    b = await provider.create_database(spec())
    a_owner_on_b = a.owner_dsn.replace(f"/{a.ref}", f"/{b.ref}")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await asyncpg.connect(a_owner_on_b)


async def test_delete_removes_database_and_roles_and_is_repeatable(
    provider: LocalProvider, server_url: str
, spec: Spec) -> None:
    db = await provider.create_database(spec())
    held = await asyncpg.connect(db.reader_dsn)  # WITH (FORCE) ends sessions still open
    await provider.delete_database(db.ref)
    await provider.delete_database(db.ref)
    assert await provider.get_database(db.ref) is None
    assert await _roles(server_url, role_names(db.ref)) == []
    assert held.is_closed() or not await _alive(held)


async def _alive(conn: asyncpg.Connection) -> bool:
    try:
        await conn.fetchval("SELECT 1")
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        return False
    return True


async def test_placement_fills_the_least_loaded_server(spec: Spec) -> None:
    # Outside pytest's numbered temp folders, which a concurrent run on the machine may prune.
    with tempfile.TemporaryDirectory(prefix="berth-") as folder, \
            embedded_postgres(Path(folder) / "one") as one, embedded_postgres(Path(folder) / "two") as two:
        installation = uuid.uuid4()
        provider = LocalProvider([one, two], installation=installation)
        refs = [(await provider.create_database(spec())).ref for _ in range(3)]
        counts = [len(await LocalProvider([server], installation=installation).list_databases())
                  for server in (one, two)]
        assert counts == [2, 1]
        for ref in refs:
            assert await provider.get_database(ref) is not None
            await provider.delete_database(ref)
        assert await provider.list_databases() == []
