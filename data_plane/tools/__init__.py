"""The gateway's generic tools: their MCP definitions and ``call_tool``, which runs one on a connection.

The gateway hands ``call_tool`` a connection of the endpoint's read-only role for
``mcp`` tokens and of its owner role for ``mcp:write`` tokens; everything else
(guard, transaction, timeout, caps, rendering, error mapping) happens here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg

from data_plane.tools import schema, statements
from data_plane.tools.contract import QueryLimits, ToolArgumentError, ToolOutcome, UnknownTool
from data_plane.tools.definitions import READ_TOOLS, WRITE_TOOLS
from data_plane.tools.running import session_settings
from data_plane.tools.sqlerrors import DATABASE_ERRORS, translate

__all__ = [
    "QueryLimits",
    "ToolArgumentError",
    "ToolOutcome",
    "UnknownTool",
    "call_tool",
    "is_write_tool",
    "session_settings",
    "tool_definitions",
]

Tool = Callable[[Mapping[str, Any], asyncpg.Connection, QueryLimits], Awaitable[ToolOutcome]]

_TOOLS: Mapping[str, Tool] = {
    "list_schemas": schema.list_schemas,
    "list_tables": schema.list_tables,
    "describe_table": schema.describe_table,
    "query": statements.query,
    "explain": statements.explain,
    "execute": statements.execute,
}
_WRITE_NAMES = frozenset({"execute"})


def tool_definitions(can_write: bool) -> list[dict[str, Any]]:
    """The tools a token may call, in a fixed order; ``execute`` only for write tokens.

    The dicts are shared module constants: serialize them, never change them.
    """
    return list(WRITE_TOOLS if can_write else READ_TOOLS)


def is_write_tool(name: str) -> bool:
    return name in _WRITE_NAMES


async def call_tool(
    name: str, arguments: Mapping[str, Any] | None, conn: asyncpg.Connection, limits: QueryLimits
) -> ToolOutcome:
    """Run one tool. SQL the caller got wrong comes back as ``isError``; never raises for it.

    Raises ``UnknownTool`` for a name not in ``_TOOLS``, ``ToolArgumentError`` for
    arguments outside the tool's input schema, and ``control_plane.errors.Unavailable``
    when the database or the connection fails. Checking that the token may write is
    the caller's job (``is_write_tool``), done before a connection is taken.
    """
    tool = _TOOLS.get(name)
    if tool is None:
        raise UnknownTool(name)
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, Mapping):
        raise ToolArgumentError("arguments must be an object")
    try:
        return await tool(arguments, conn, limits)
    except DATABASE_ERRORS as exc:
        return translate(exc, limits)
