"""The execute tool for write tokens: committed changes, RETURNING rows, and what it still refuses."""

from __future__ import annotations

import asyncpg

from data_plane.tools import call_tool, tool_definitions
from tests.tools.conftest import LIMITS, item_rows


async def test_execute_is_listed_for_write_tokens_last_and_marked_destructive() -> None:
    tools = tool_definitions(can_write=True)
    assert [t["name"] for t in tools] == [
        "list_schemas",
        "list_tables",
        "describe_table",
        "query",
        "explain",
        "execute",
    ]
    assert tools[-1]["annotations"]["destructiveHint"] is True
    assert all(t["annotations"]["openWorldHint"] is False for t in tools)
    assert all(t["annotations"]["readOnlyHint"] for t in tools[:-1])
    assert tool_definitions(can_write=False) == tools[:-1]


async def test_execute_commits_and_returns_status_and_rows(owner: asyncpg.Connection) -> None:
    sql = "INSERT INTO items (id, name, price) VALUES ($1, $2, $3) RETURNING id, name"
    outcome = await call_tool("execute", {"sql": sql, "params": [4, "fig", "3.10"]}, owner, LIMITS)
    content = outcome.result["structuredContent"]
    assert outcome.result["isError"] is False, outcome.result
    assert content["status"] == "INSERT 0 1"
    assert content["rows"] == [[4, "fig"]]
    assert (4, "fig") in [row[:2] for row in await item_rows(owner)]
    assert not owner.is_in_transaction()


async def test_execute_reports_how_many_rows_changed(owner: asyncpg.Connection) -> None:
    sql = "UPDATE items SET price = price * 2 WHERE price IS NOT NULL"
    outcome = await call_tool("execute", {"sql": sql}, owner, LIMITS)
    assert outcome.result["structuredContent"]["status"] == "UPDATE 2"
    assert outcome.result["structuredContent"]["rows"] == []
    assert outcome.result["content"][0]["text"].startswith("UPDATE 2.")


async def test_execute_runs_ddl(owner: asyncpg.Connection) -> None:
    outcome = await call_tool("execute", {"sql": "CREATE TABLE made_by_agent (id int)"}, owner, LIMITS)
    assert outcome.result["structuredContent"]["status"] == "CREATE TABLE"
    assert await owner.fetchval("SELECT to_regclass('made_by_agent') IS NOT NULL")
    await owner.execute("DROP TABLE made_by_agent")


async def test_execute_constraint_error_rolls_back(owner: asyncpg.Connection) -> None:
    before = await item_rows(owner)
    outcome = await call_tool(
        "execute", {"sql": "INSERT INTO items (id, name) VALUES (1, 'dup')"}, owner, LIMITS
    )
    error = outcome.result["structuredContent"]["error"]
    assert outcome.result["isError"] is True
    assert error["sqlstate"] == "23505" and "detail" in error
    assert await item_rows(owner) == before
    assert not owner.is_in_transaction()


async def test_execute_refuses_transaction_control_and_several_statements(owner: asyncpg.Connection) -> None:
    before = await item_rows(owner)
    for sql in ("COMMIT", "DELETE FROM items; DELETE FROM items", "SET search_path = nowhere"):
        outcome = await call_tool("execute", {"sql": sql}, owner, LIMITS)
        assert outcome.result["structuredContent"]["error"]["code"] == "refused", sql
    assert await item_rows(owner) == before


async def test_execute_on_the_read_only_role_is_refused_by_the_database(
    reader: asyncpg.Connection, owner: asyncpg.Connection
) -> None:
    # Were the gateway ever to hand a read connection to execute, the role still says no.
    before = await item_rows(owner)
    outcome = await call_tool("execute", {"sql": "DELETE FROM items"}, reader, LIMITS)
    assert outcome.result["structuredContent"]["error"]["sqlstate"] == "42501"
    assert await item_rows(owner) == before
