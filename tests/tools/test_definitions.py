"""Tool definitions are valid JSON Schema, and every tool's structuredContent fits its outputSchema."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from data_plane.tools import call_tool, tool_definitions
from tests.tools.conftest import LIMITS

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
def test_schemas_are_valid_and_inputs_closed(tool: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(tool["inputSchema"])
    Draft202012Validator.check_schema(tool["outputSchema"])
    assert tool["inputSchema"]["additionalProperties"] is False
    assert set(tool["annotations"]) >= {"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"}


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


def test_definitions_are_built_once() -> None:
    assert tool_definitions(can_write=False)[0] is tool_definitions(can_write=True)[0]
