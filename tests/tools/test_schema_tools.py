"""list_schemas, list_tables, describe_table on a real endpoint database through its read-only role."""

from __future__ import annotations

import asyncpg

from data_plane.tools import call_tool
from tests.tools.conftest import LIMITS


async def test_list_schemas_shows_user_schemas_only(reader: asyncpg.Connection) -> None:
    outcome = await call_tool("list_schemas", {}, reader, LIMITS)
    names = [s["name"] for s in outcome.result["structuredContent"]["schemas"]]
    assert "public" in names
    assert not [n for n in names if n.startswith("pg_") or n == "information_schema"]


async def test_list_tables_lists_what_the_role_can_read(
    reader: asyncpg.Connection, owner: asyncpg.Connection
) -> None:
    reader_role = await reader.fetchval("SELECT current_user")
    await owner.execute(
        "CREATE SCHEMA IF NOT EXISTS hidden; CREATE TABLE IF NOT EXISTS hidden.secret (x int)"
    )
    await owner.execute(f'REVOKE ALL ON hidden.secret FROM "{reader_role}"')
    try:
        outcome = await call_tool("list_tables", {"schema": "public"}, reader, LIMITS)
        tables = outcome.result["structuredContent"]["tables"]
        assert {
            "schema": "public",
            "name": "items",
            "kind": "table",
            "comment": "things for sale",
        }.items() <= (next(t for t in tables if t["name"] == "items").items())
        everything = await call_tool("list_tables", {}, reader, LIMITS)
        assert "secret" not in [t["name"] for t in everything.result["structuredContent"]["tables"]]
    finally:
        await owner.execute("DROP SCHEMA hidden CASCADE")


async def test_describe_table_gives_columns_keys_and_indexes(reader: asyncpg.Connection) -> None:
    outcome = await call_tool("describe_table", {"table": "items"}, reader, LIMITS)
    described = outcome.result["structuredContent"]
    assert outcome.result["isError"] is False
    assert (described["schema"], described["name"], described["kind"]) == ("public", "items", "table")
    columns = {c["name"]: c for c in described["columns"]}
    assert list(columns) == ["id", "name", "price", "added", "tags", "blob"]
    assert columns["price"]["type"] == "numeric(10,2)" and columns["price"]["nullable"] is True
    assert columns["name"]["nullable"] is False
    assert columns["tags"]["default"] == "'{}'::text[]"
    assert described["primary_key"] == ["id"]
    assert any("UNIQUE (name)" in c["definition"] for c in described["constraints"])
    assert sorted(i["name"] for i in described["indexes"]) == ["items_name_key", "items_pkey"]
    assert outcome.rows == 6


async def test_describe_table_with_a_schema_and_a_missing_table(reader: asyncpg.Connection) -> None:
    found = await call_tool("describe_table", {"table": "items", "schema": "public"}, reader, LIMITS)
    assert found.result["structuredContent"]["name"] == "items"
    missing = await call_tool("describe_table", {"table": "nothing", "schema": "public"}, reader, LIMITS)
    assert missing.result["isError"] is True
    assert missing.result["structuredContent"]["error"]["code"] == "not_found"
    odd = await call_tool("describe_table", {"table": 'we"ird'}, reader, LIMITS)
    assert odd.result["structuredContent"]["error"]["code"] == "not_found"
