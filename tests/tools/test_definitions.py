"""Tool definitions are valid JSON Schema, and every tool's structuredContent fits its outputSchema."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from data_plane.tools import call_tool, tool_definitions
from tests.tools.conftest import LIMITS
from tests.tools.outputs import assert_fits, check_definition

SCHEMAS = {tool["name"]: tool for tool in tool_definitions(can_write=True)}
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("list_schemas", {}),
    ("list_tables", {}),
    ("describe_table", {"table": "items"}),
    ("query", {"sql": "SELECT * FROM items", "max_rows": 2}),
    ("explain", {"sql": "SELECT * FROM items"}),
    ("execute", {"sql": "UPDATE items SET price = 1 WHERE id = 1 RETURNING id, price"}),
]


@pytest.mark.parametrize("tool", list(SCHEMAS.values()), ids=list(SCHEMAS))
def test_schemas_are_valid_portable_and_inputs_closed(tool: dict[str, Any]) -> None:
    check_definition(tool)


@pytest.mark.parametrize(("name", "arguments"), CALLS, ids=[name for name, _ in CALLS])
async def test_results_fit_the_output_schema(
    name: str, arguments: dict[str, Any], owner: asyncpg.Connection
) -> None:
    outcome = await call_tool(name, arguments, owner, LIMITS)
    assert outcome.result["isError"] is False, outcome.result
    errors = list(
        Draft202012Validator(SCHEMAS[name]["outputSchema"]).iter_errors(outcome.result["structuredContent"])
    )
    assert errors == []


FAILING: list[tuple[str, dict[str, Any]]] = [
    ("describe_table", {"table": "no_such_table"}),
    ("query", {"sql": "SELECT no_such_column FROM items"}),
    ("query", {"sql": "DELETE FROM items"}),
    ("query", {"sql": "SELECT pg_sleep(10)"}),
    ("explain", {"sql": "SELECT * FROM nowhere"}),
    ("execute", {"sql": "INSERT INTO items (id, name) VALUES (1, 'dup')"}),
    ("execute", {"sql": "ALTER SYSTEM SET work_mem = '1GB'"}),
]


@pytest.mark.parametrize(("name", "arguments"), FAILING, ids=[f"{n}-{i}" for i, (n, _) in enumerate(FAILING)])
async def test_error_results_fit_the_output_schema_too(
    name: str, arguments: dict[str, Any], owner: asyncpg.Connection
) -> None:
    """The TypeScript SDK v1 checks structuredContent on isError results as well."""
    outcome = await call_tool(name, arguments, owner, LIMITS)
    assert outcome.result["isError"] is True
    assert_fits(SCHEMAS[name], outcome.result)


async def test_a_refused_write_in_query_points_at_execute(owner: asyncpg.Connection) -> None:
    outcome = await call_tool("query", {"sql": "CREATE TABLE t (a int)"}, owner, LIMITS)
    assert outcome.result["isError"] is True
    assert "execute tool" in outcome.result["content"][0]["text"]
    outcome = await call_tool("query", {"sql": "SELECT pg_read_file('/etc/passwd')"}, owner, LIMITS)
    assert "execute" not in outcome.result["content"][0]["text"]


def test_definitions_are_built_once() -> None:
    assert tool_definitions(can_write=False)[0] is tool_definitions(can_write=True)[0]
