"""What the gateway and the tools agree on: limits in, an outcome out, two argument errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class QueryLimits:
    """Bounds on one tool call: time on the server, rows and bytes in the result, characters per cell."""

    statement_timeout_ms: int
    max_rows_cap: int = 1000
    max_result_bytes: int = 1_000_000
    max_cell_chars: int = 2000


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """An MCP ``CallToolResult`` dict (content, structuredContent, isError) and the rows it carries."""

    result: dict[str, Any]
    rows: int


class ToolArgumentError(Exception):
    """The arguments do not fit the tool's input schema; the gateway answers JSON-RPC -32602."""


class UnknownTool(Exception):
    """No tool of that name exists for this token."""
