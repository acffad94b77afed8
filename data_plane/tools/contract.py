"""What the gateway and the tools agree on: limits in, an outcome out, two argument errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class QueryLimits:
    """Bounds on one tool call: time on the server, rows and bytes in the result, characters per cell.

    ``preset_session`` says the connection was opened with ``session_settings(limits)``
    as startup parameters (which survive the pool's ``RESET ALL``): every implicit
    transaction is then read-only under the timeout, so a read skips BEGIN / SET LOCAL /
    COMMIT and costs one round trip instead of three. It is verified where it can be
    without I/O (the server reports ``default_transaction_read_only``); when that check
    fails the explicit transaction is used anyway.
    """

    statement_timeout_ms: int
    max_rows_cap: int = 1000
    max_result_bytes: int = 1_000_000
    max_cell_chars: int = 2000
    preset_session: bool = False


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """An MCP ``CallToolResult`` dict (content, structuredContent, isError) and the rows it carries."""

    result: dict[str, Any]
    rows: int


class ToolArgumentError(Exception):
    """The arguments do not fit the tool's input schema; the gateway answers JSON-RPC -32602."""


class UnknownTool(Exception):
    """No tool of that name exists for this token."""
