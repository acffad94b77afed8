"""The check the TypeScript SDK v1 makes on every tool result, and the portability the Inspector asks for."""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

TOOL_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def non_portable(schema: Any, path: str = "$") -> list[str]:
    """Where a schema uses a type array (``["integer", "null"]``), which some clients refuse."""
    found: list[str] = []
    if isinstance(schema, dict):
        if isinstance(schema.get("type"), list):
            found.append(path)
        for key, value in schema.items():
            found += non_portable(value, f"{path}.{key}")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            found += non_portable(value, f"{path}[{i}]")
    return found


def check_definition(tool: dict[str, Any]) -> None:
    """A valid name, valid and portable schemas, a closed input schema, the four annotations."""
    assert TOOL_NAME.match(tool["name"]), tool["name"]
    for key in ("inputSchema", "outputSchema"):
        Draft202012Validator.check_schema(tool[key])
        assert tool[key]["type"] == "object"
        assert non_portable(tool[key]) == [], (tool["name"], key)
    assert tool["inputSchema"]["additionalProperties"] is False
    assert set(tool["annotations"]) >= {"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"}
    assert tool["description"]


def assert_fits(tool: dict[str, Any], result: dict[str, Any]) -> None:
    """structuredContent, when present (errors included), validates against the tool's outputSchema."""
    assert isinstance(result.get("content"), list) and result["content"][0]["type"] == "text"
    if "structuredContent" not in result:
        assert result.get("isError") is True
        return
    errors = [e.message for e in
              Draft202012Validator(tool["outputSchema"]).iter_errors(result["structuredContent"])]
    assert errors == [], (tool["name"], errors, result["structuredContent"])
