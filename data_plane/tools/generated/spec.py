"""A generated tool: its MCP definition and the function that runs it, both built once per schema version."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import asyncpg
import orjson

from control_plane.imports.names import quote_ident
from data_plane.tools.contract import QueryLimits, ToolArgumentError, ToolOutcome
from data_plane.tools.generated.model import Column, Table
from data_plane.tools.generated.types import ARGUMENT_KINDS, coerce, input_schema, output_schema
from data_plane.tools.outputs import nullable, output

Runner = Callable[[Mapping[str, Any], asyncpg.Connection, QueryLimits], Awaitable[ToolOutcome]]
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_VALUES = 100

READ = MappingProxyType(
    {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True, "openWorldHint": False})


@dataclass(frozen=True, slots=True)
class GeneratedTool:
    """``definition`` is the MCP Tool dict (shared: serialize it, never change it)."""

    name: str
    definition: dict[str, Any]
    run: Runner
    table: str
    write: bool = False


def tool(name: str, title: str, description: str, properties: dict[str, Any], required: Sequence[str],
         outputs: dict[str, Any], annotations: Mapping[str, bool] = READ) -> dict[str, Any]:
    return {
        "name": name, "title": title, "description": description,
        "inputSchema": {"type": "object", "properties": properties, "required": list(required),
                        "additionalProperties": False},
        "outputSchema": outputs,
        "annotations": {"title": title, **annotations},
    }


def relation(table: Table) -> str:
    return f"{quote_ident(table.schema)}.{quote_ident(table.name)}"


def select_list(table: Table) -> str:
    return ", ".join(quote_ident(c.name) for c in table.columns)


def row_schema(table: Table) -> dict[str, Any]:
    return {"type": "object",
            "properties": {c.name: output_schema(c.kind, c.nullable, c.type) for c in table.columns}}


def rows_output(table: Table, paged: bool = False) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "rows": {"type": "array", "items": row_schema(table)}, "row_count": {"type": "integer"},
        "truncated": {"type": "boolean"}, "truncated_cells": {"type": "integer"},
    }
    required = ["rows", "row_count", "truncated", "truncated_cells"]
    if paged:
        properties["next_cursor"] = nullable({"type": "string"})
        required.append("next_cursor")
    return output(properties, required)


def row_output(table: Table) -> dict[str, Any]:
    return output({"row": row_schema(table)}, ["row"])


def arguable(column: Column) -> bool:
    return column.kind in ARGUMENT_KINDS


def column_input(column: Column, description: str = "") -> dict[str, Any]:
    schema = input_schema(column.kind, column.enum_values, column.base)
    text = description or f"{column.name} ({column.type})"
    return {**schema, "description": text}


def value(column: Column, raw: Any, name: str) -> Any:
    return coerce(column.kind, raw, name, column.base)


def limit_input() -> dict[str, Any]:
    return {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT,
            "description": f"Rows to return (default {DEFAULT_LIMIT}, at most {MAX_LIMIT})."}


def limit(args: Mapping[str, Any]) -> int:
    raw = args.get("limit", DEFAULT_LIMIT)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_LIMIT:
        raise ToolArgumentError(f"'limit' must be an integer from 1 to {MAX_LIMIT}")
    return raw


def only(args: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise ToolArgumentError(f"unknown argument(s): {', '.join(unknown)}")


def encode_cursor(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(state)).decode().rstrip("=")


def decode_cursor(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, str) or len(raw) > 4096:
        raise ToolArgumentError("'cursor' must be a cursor returned by this tool")
    try:
        state = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise ToolArgumentError("'cursor' must be a cursor returned by this tool") from exc
    if not isinstance(state, dict):
        raise ToolArgumentError("'cursor' must be a cursor returned by this tool")
    return state
