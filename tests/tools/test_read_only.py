"""Read-only is layered: each attack is refused with isError and leaves the table as it was.

The guard refuses them first; the tests further down prove the extended-protocol
and read-only-transaction layers hold with the guard out of the way.
"""

from __future__ import annotations

import time

import asyncpg
import pytest

from data_plane.tools import QueryLimits, call_tool
from data_plane.tools.running import fetch_read
from tests.tools.conftest import LIMITS, item_rows

ATTACKS = [
    "BEGIN READ ONLY; COMMIT; INSERT INTO items VALUES (9, 'evil')",
    "WITH d AS (DELETE FROM items RETURNING *) SELECT * FROM d",
    "SELECT 1; INSERT INTO items VALUES (9, 'evil')",
    "SELECT set_config('default_transaction_read_only', 'off', false)",
    "COPY items TO PROGRAM 'cat > /tmp/berth-evil'",
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT lo_import('/etc/passwd')",
    "UPDATE items SET price = 0",
    "SELECT * FROM items FOR UPDATE",
]


@pytest.mark.parametrize("sql", ATTACKS)
@pytest.mark.parametrize("tool", ["query", "explain"])
async def test_attack_is_refused_and_table_unchanged(
    tool: str, sql: str, reader: asyncpg.Connection, owner: asyncpg.Connection
) -> None:
    before = await item_rows(owner)
    outcome = await call_tool(tool, {"sql": sql}, reader, LIMITS)
    assert outcome.result["isError"] is True
    assert outcome.result["structuredContent"]["error"]["code"] == "refused"
    assert outcome.result["content"][0]["text"].startswith("Refused:")
    assert await item_rows(owner) == before


async def test_pg_sleep_is_refused_without_running(reader: asyncpg.Connection) -> None:
    started = time.monotonic()
    outcome = await call_tool("query", {"sql": "SELECT pg_sleep(600)"}, reader, QueryLimits(200))
    assert outcome.result["isError"] is True
    assert "pg_sleep" in outcome.result["structuredContent"]["error"]["message"]
    assert time.monotonic() - started < 1


async def test_allowed_long_query_ends_at_the_statement_timeout(reader: asyncpg.Connection) -> None:
    sql = "SELECT count(*) FROM generate_series(1, 100000) a CROSS JOIN generate_series(1, 100000) b"
    started = time.monotonic()
    outcome = await call_tool("query", {"sql": sql}, reader, QueryLimits(statement_timeout_ms=200))
    assert time.monotonic() - started < 3
    error = outcome.result["structuredContent"]["error"]
    assert outcome.result["isError"] is True
    assert (error["code"], error["sqlstate"]) == ("timeout", "57014")
    assert "200 ms" in error["message"] and "Narrow" in error["message"]
    assert await reader.fetchval("SELECT 1") == 1  # the connection is usable again


async def test_pg_sleep_past_the_guard_still_ends_at_the_timeout(reader: asyncpg.Connection) -> None:
    started = time.monotonic()
    with pytest.raises(asyncpg.QueryCanceledError):
        await fetch_read(reader, "SELECT pg_sleep(600)", (), QueryLimits(statement_timeout_ms=200))
    assert time.monotonic() - started < 3
    assert not reader.is_in_transaction()


async def test_extended_protocol_refuses_several_statements_without_the_guard(
    owner: asyncpg.Connection,
) -> None:
    # The owner may write, so only the protocol stands between this text and the table.
    before = await item_rows(owner)
    with pytest.raises(asyncpg.PostgresSyntaxError, match="multiple commands"):
        await fetch_read(owner, "BEGIN READ ONLY; COMMIT; INSERT INTO items VALUES (9, 'evil')", (), LIMITS)
    assert await item_rows(owner) == before
    assert not owner.is_in_transaction()


async def test_read_only_transaction_refuses_a_write_without_the_guard(owner: asyncpg.Connection) -> None:
    before = await item_rows(owner)
    with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
        await fetch_read(owner, "INSERT INTO items VALUES (9, 'evil') RETURNING id", (), LIMITS)
    assert await item_rows(owner) == before


async def test_read_only_role_refuses_a_write_on_its_own(
    reader: asyncpg.Connection, owner: asyncpg.Connection
) -> None:
    before = await item_rows(owner)
    async with reader.transaction(readonly=False):
        with pytest.raises(asyncpg.PostgresError) as caught:
            await reader.execute("DELETE FROM items")
    assert caught.value.sqlstate in {"42501", "25006"}
    assert await item_rows(owner) == before


async def test_read_only_token_has_no_execute_tool(reader: asyncpg.Connection) -> None:
    from data_plane.tools import is_write_tool, tool_definitions

    assert "execute" not in [tool["name"] for tool in tool_definitions(can_write=False)]
    assert is_write_tool("execute") and not is_write_tool("query")
