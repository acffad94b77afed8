"""The query and explain tools: caps, parameters, JSON-safe values, untrusted framing, mapped SQL errors."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from control_plane.errors import Unavailable
from control_plane.providers.base import ProvisionedDatabase
from data_plane.tools import QueryLimits, ToolArgumentError, UnknownTool, call_tool
from data_plane.tools.results import UNTRUSTED
from tests.tools.conftest import LIMITS


async def query(
    conn: asyncpg.Connection, sql: str, limits: QueryLimits = LIMITS, **more: Any
) -> dict[str, Any]:
    outcome = await call_tool("query", {"sql": sql, **more}, conn, limits)
    assert outcome.rows == len(outcome.result["structuredContent"].get("rows", []))
    return outcome.result


async def test_rows_come_back_structured_and_framed_as_data(reader: asyncpg.Connection) -> None:
    result = await query(reader, "SELECT id, name FROM items ORDER BY id")
    assert result["isError"] is False
    assert result["structuredContent"]["columns"] == ["id", "name"]
    assert result["structuredContent"]["rows"] == [[1, "apple"], [2, "pear"], [3, "nut"]]
    assert result["structuredContent"]["truncated"] is False
    text = result["content"][0]["text"]
    assert UNTRUSTED in text and "not instructions" in text
    assert '[1,"apple"]' in text.split("<rows>")[1]


async def test_row_cap_fetches_one_more_to_know_there_are_more(reader: asyncpg.Connection) -> None:
    result = await query(reader, "SELECT n FROM generate_series(1, 50) n ORDER BY n", max_rows=10)
    content = result["structuredContent"]
    assert content["rows"] == [[n] for n in range(1, 11)]
    assert (content["truncated"], content["truncated_by"]) == (True, "max_rows")
    exact = await query(reader, "SELECT n FROM generate_series(1, 10) n", max_rows=10)
    assert exact["structuredContent"]["truncated"] is False


async def test_the_cap_from_limits_wins_over_a_larger_max_rows(reader: asyncpg.Connection) -> None:
    limits = QueryLimits(statement_timeout_ms=2000, max_rows_cap=5)
    result = await query(reader, "SELECT n FROM generate_series(1, 50) n", limits, max_rows=1000)
    assert result["structuredContent"]["row_count"] == 5


async def test_byte_cap_stops_adding_rows(reader: asyncpg.Connection) -> None:
    limits = QueryLimits(statement_timeout_ms=2000, max_result_bytes=1000)
    result = await query(reader, "SELECT repeat('x', 100) FROM generate_series(1, 100)", limits, max_rows=100)
    content = result["structuredContent"]
    assert 5 <= content["row_count"] < 10
    assert content["truncated_by"] == "max_result_bytes"
    assert "size cap" in result["content"][0]["text"]


async def test_long_cells_are_cut_and_counted(reader: asyncpg.Connection) -> None:
    limits = QueryLimits(statement_timeout_ms=2000, max_cell_chars=10)
    result = await query(reader, "SELECT repeat('y', 25), 'short', decode(repeat('ab', 20), 'hex')", limits)
    long_text, short, blob = result["structuredContent"]["rows"][0]
    assert long_text == "y" * 10 + "…[15 more characters]"
    assert short == "short"
    assert blob.startswith("\\xabababab") and "more characters" in blob
    assert result["structuredContent"]["truncated_cells"] == 2


async def test_params_bind_positionally(reader: asyncpg.Connection) -> None:
    result = await query(
        reader, "SELECT name FROM items WHERE id = $1 OR name = $2 ORDER BY id", params=[1, "nut"]
    )
    assert result["structuredContent"]["rows"] == [["apple"], ["nut"]]


async def test_a_param_of_the_wrong_type_is_the_callers_error(reader: asyncpg.Connection) -> None:
    result = await query(reader, "SELECT name FROM items WHERE id = $1", params=["one"])
    assert result["isError"] is True
    assert "$1" in result["structuredContent"]["error"]["message"]


async def test_values_render_as_json(reader: asyncpg.Connection) -> None:
    sql = (
        "SELECT 1.50::numeric, '2026-01-02 03:04:05+00'::timestamptz, '2026-01-02'::date, "
        "'1 day 02:03:04.5'::interval, '00000000-0000-0000-0000-000000000001'::uuid, '\\x0102'::bytea, "
        "ARRAY[1, 2], '{\"a\": 1}'::jsonb, 'NaN'::float8, int4range(1, 5), '10.0.0.1'::inet, NULL, true"
    )
    row = (await query(reader, sql))["structuredContent"]["rows"][0]
    assert row == [
        "1.50",
        "2026-01-02T03:04:05+00:00",
        "2026-01-02",
        "P1DT2H3M4.5S",
        "00000000-0000-0000-0000-000000000001",
        "\\x0102",
        [1, 2],
        '{"a": 1}',
        "nan",
        "[1,5)",
        "10.0.0.1",
        None,
        True,
    ]


async def test_syntax_error_reports_sqlstate_and_position_in_the_callers_text(
    reader: asyncpg.Connection,
) -> None:
    # The guard accepts this (it parses); the server rejects the unknown column.
    result = await query(reader, "SELECT nope FROM items")
    error = result["structuredContent"]["error"]
    assert result["isError"] is True
    assert (error["code"], error["sqlstate"]) == ("sql_error", "42703")
    assert error["position"] == 8
    assert "nope" in error["message"]
    assert "SQL error 42703" in result["content"][0]["text"]


async def test_hint_is_passed_on(reader: asyncpg.Connection) -> None:
    result = await query(reader, "SELECT lower(1, 2, 3)")
    error = result["structuredContent"]["error"]
    assert error["sqlstate"] == "42883" and "hint" in error
    assert "Hint:" in result["content"][0]["text"]


async def test_division_by_zero_is_a_data_error(reader: asyncpg.Connection) -> None:
    result = await query(reader, "SELECT 1 / (id - id) FROM items")
    assert result["structuredContent"]["error"]["sqlstate"] == "22012"
    assert not reader.is_in_transaction()


async def test_explain_returns_the_plan_without_running(
    reader: asyncpg.Connection, owner: asyncpg.Connection
) -> None:
    outcome = await call_tool(
        "explain", {"sql": "SELECT * FROM items WHERE id = $1", "params": [2]}, reader, LIMITS
    )
    plan = outcome.result["structuredContent"]["plan"]
    assert outcome.result["isError"] is False
    assert "items" in plan and "cost=" in plan
    bad = await call_tool("explain", {"sql": "SELECT missing FROM items"}, reader, LIMITS)
    assert bad.result["structuredContent"]["error"]["position"] == 8


@pytest.mark.parametrize(
    "arguments",
    [
        {},
        {"sql": ""},
        {"sql": 1},
        {"sql": "SELECT 1", "max_rows": 0},
        {"sql": "SELECT 1", "max_rows": 1001},
        {"sql": "SELECT 1", "max_rows": True},
        {"sql": "SELECT 1", "params": "x"},
        {"sql": "SELECT 1", "extra": 1},
    ],
)
async def test_bad_arguments_raise_for_the_gateway(
    arguments: dict[str, Any], reader: asyncpg.Connection
) -> None:
    with pytest.raises(ToolArgumentError):
        await call_tool("query", arguments, reader, LIMITS)


async def test_unknown_tool_raises(reader: asyncpg.Connection) -> None:
    with pytest.raises(UnknownTool):
        await call_tool("drop_everything", {}, reader, LIMITS)


async def test_a_broken_connection_is_ours_not_the_callers(endpoint_db: ProvisionedDatabase) -> None:
    conn = await asyncpg.connect(endpoint_db.reader_dsn)
    await conn.close()
    with pytest.raises(Unavailable):
        await call_tool("query", {"sql": "SELECT 1"}, conn, LIMITS)
    with pytest.raises(Unavailable):
        await call_tool("list_tables", {}, conn, LIMITS)


@pytest.mark.parametrize("preset", [False, True])
async def test_a_schema_change_between_calls_is_not_the_callers_error(
    preset: bool, endpoint_db: ProvisionedDatabase, owner: asyncpg.Connection
) -> None:
    # asyncpg caches the prepared statement; the new column changes its result type.
    limits = QueryLimits(statement_timeout_ms=2000, preset_session=preset)
    reader = await asyncpg.connect(endpoint_db.reader_dsn)
    try:
        first = await query(reader, "SELECT * FROM items WHERE id = 1", limits)
        await owner.execute("ALTER TABLE items ADD COLUMN colour text DEFAULT 'red'")
        second = await query(reader, "SELECT * FROM items WHERE id = 1", limits)
    finally:
        await reader.close()
    assert second["isError"] is False, second
    assert second["structuredContent"]["columns"] == [*first["structuredContent"]["columns"], "colour"]
