"""The Neon reader role on a real Postgres: SELECT only, now and for later tables, and safe to repeat."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import pytest
import respx

from control_plane.dsn import database_name, for_database, redact
from control_plane.errors import ProviderError
from control_plane.providers.base import DatabaseSpec
from control_plane.providers.neon import NeonProvider, project_name
from control_plane.providers.neon_reader import grant_read_only, new_password
from tests.providers.conftest import API_KEY, BASE, FakeTime, OwnerDatabase


async def _as(dsn: str, *statements: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        rows: list[asyncpg.Record] = []
        for statement in statements:
            rows = await conn.fetch(statement)
        return rows
    finally:
        await conn.close()


def _reader_dsn(owner: OwnerDatabase, role: str, password: str) -> str:
    return for_database(owner.dsn, user=role, password=password, database=database_name(owner.dsn))


async def test_the_reader_selects_but_cannot_write_or_create(owner_db: OwnerDatabase) -> None:
    await _as(owner_db.dsn, "CREATE TABLE items (id int)", "INSERT INTO items VALUES (1)")
    role, password = owner_db.role("reader"), new_password()
    await grant_read_only(owner_db.dsn, role, password)
    reader = _reader_dsn(owner_db, role, password)

    assert [r["id"] for r in await _as(reader, "SELECT id FROM items")] == [1]
    for statement in ("INSERT INTO items VALUES (2)", "CREATE TABLE public.mine (id int)"):
        with pytest.raises(asyncpg.PostgresError):
            await _as(reader, "SET default_transaction_read_only = off", statement)


async def test_tables_and_schemas_the_owner_makes_later_are_readable(owner_db: OwnerDatabase) -> None:
    role, password = owner_db.role("reader"), new_password()
    await grant_read_only(owner_db.dsn, role, password)
    await _as(owner_db.dsn, "CREATE SCHEMA shop", "CREATE TABLE shop.orders (id serial, total int)",
              "INSERT INTO shop.orders (total) VALUES (42)")
    rows = await _as(_reader_dsn(owner_db, role, password), "SELECT total FROM shop.orders")
    assert [r["total"] for r in rows] == [42]


async def test_running_it_again_resets_the_password(owner_db: OwnerDatabase, server_url: str) -> None:
    role = owner_db.role("reader")
    verifier = f"SELECT rolpassword FROM pg_authid WHERE rolname = '{role}'"
    await grant_read_only(owner_db.dsn, role, new_password())
    first = await _as(server_url, verifier)
    await grant_read_only(owner_db.dsn, role, new_password())
    assert (await _as(server_url, verifier))[0][0] != first[0][0]


async def test_unsafe_names_are_refused_before_any_sql() -> None:
    with pytest.raises(ValueError):
        await grant_read_only("postgresql://nobody@127.0.0.1:1/x", 'r"; DROP', new_password())
    with pytest.raises(ValueError):
        await grant_read_only("postgresql://nobody@127.0.0.1:1/x", "reader", "pw' OR '1")


async def test_an_unreachable_server_is_retryable_and_keeps_the_dsn_out(owner_db: OwnerDatabase) -> None:
    dsn = "postgresql://owner:Hunter2-password@127.0.0.1:1/berth"
    with pytest.raises(ProviderError) as caught:
        await grant_read_only(dsn, owner_db.role("reader"), new_password())
    assert caught.value.retryable is True
    assert "Hunter2" not in str(caught.value) and redact(dsn) not in str(caught.value)


async def test_create_makes_a_working_reader_on_the_database_neon_returned(
        owner_db: OwnerDatabase, http: httpx.AsyncClient, neon: respx.MockRouter, fake_time: FakeTime,
) -> None:
    endpoint = uuid.uuid4()
    provider = NeonProvider(http, api_key=API_KEY, region="aws-us-east-2", base_url=BASE,
                            sleep=fake_time.sleep, clock=fake_time.clock, reader_role=owner_db.role("reader"))
    await _as(owner_db.dsn, "CREATE TABLE items (id int)", "INSERT INTO items VALUES (7)")
    neon.get("/projects").mock(return_value=httpx.Response(200, json={"projects": []}))
    neon.post("/projects").mock(return_value=httpx.Response(201, json={
        "project": {"id": "calm-sea-1", "name": project_name(endpoint)}, "operations": [],
        "connection_uris": [{"connection_uri": owner_db.dsn, "connection_parameters": {}}]}))

    made = await provider.create_database(DatabaseSpec(endpoint))

    assert made.owner_dsn == owner_db.dsn
    assert [r["id"] for r in await _as(made.reader_dsn, "SELECT id FROM items")] == [7]
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await _as(made.reader_dsn, "SET default_transaction_read_only = off", "DELETE FROM items")
