"""The generic tools as MCP ``Tool`` dicts, built once at import: tools/list costs nothing."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from data_plane.tools.arguments import DEFAULT_MAX_ROWS, MAX_PARAMS, MAX_ROWS
from data_plane.tools.outputs import nullable, output

_READ = MappingProxyType(
    {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True, "openWorldHint": False}
)
_WRITE = MappingProxyType(
    {"readOnlyHint": False, "destructiveHint": True, "idempotentHint": False, "openWorldHint": False}
)


def _object(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object", "properties": properties, "required": list(required), "additionalProperties": False,
    }


_SQL = {"type": "string", "description": "One SQL statement; use $1, $2, ... for parameters."}
_PARAMS = {
    "type": "array",
    "maxItems": MAX_PARAMS,
    "description": "Values for $1, $2, ... in order.",
    "items": {"anyOf": [{"type": t} for t in ("string", "number", "boolean", "null", "array", "object")]},
}
_SCHEMA_NAME = {"type": "string", "description": "Schema name; omit for every schema you can read."}
_TABLE_SCHEMA = {"type": "string", "description": "Schema name; defaults to the search path."}
_NULLABLE_TEXT = nullable({"type": "string"})
_ROWS: dict[str, Any] = {
    "columns": {"type": "array", "items": {"type": "string"}},
    "rows": {"type": "array", "items": {"type": "array"}},
    "row_count": {"type": "integer"},
    "truncated": {"type": "boolean"},
    "truncated_by": nullable({"type": "string", "enum": ["max_rows", "max_result_bytes"]}),
    "truncated_cells": {"type": "integer"},
}
_ROWS_REQUIRED = ("columns", "rows", "row_count", "truncated", "truncated_by", "truncated_cells")
_LIST = {"type": "array", "items": {"type": "object"}}


def _tool(name: str, title: str, description: str, inputs: dict[str, Any], output: dict[str, Any],
          annotations: MappingProxyType[str, bool]) -> dict[str, Any]:
    return {
        "name": name,
        "title": title,
        "description": description,
        "inputSchema": inputs,
        "outputSchema": output,
        "annotations": {"title": title, **annotations},
    }


LIST_SCHEMAS = _tool(
    "list_schemas", "List schemas", "The schemas of this database that you can use.",
    _object({}),
    output({"schemas": _LIST}, ("schemas",)), _READ)
LIST_TABLES = _tool(
    "list_tables", "List tables",
    "Tables, views and materialized views you can read, with estimated row counts and comments.",
    _object({"schema": _SCHEMA_NAME}),
    output({"tables": _LIST, "truncated": {"type": "boolean"}}, ("tables", "truncated")), _READ)
DESCRIBE_TABLE = _tool(
    "describe_table", "Describe a table",
    "Columns (type, nullability, default, comment), primary key, constraints and indexes of one table.",
    _object({"table": {"type": "string"}, "schema": _TABLE_SCHEMA}, ("table",)),
    output({
        "schema": {"type": "string"}, "name": {"type": "string"}, "kind": {"type": "string"},
        "estimated_rows": nullable({"type": "integer"}), "comment": _NULLABLE_TEXT,
        "columns": _LIST, "primary_key": {"type": "array", "items": {"type": "string"}},
        "constraints": _LIST, "indexes": _LIST,
    }, ("schema", "name", "kind", "columns", "primary_key", "constraints", "indexes")), _READ)
QUERY = _tool(
    "query", "Run a read-only query",
    "Run one read-only SQL statement (SELECT, VALUES, WITH, EXPLAIN) and get its rows. "
    f"Returns at most max_rows rows (default {DEFAULT_MAX_ROWS}, at most {MAX_ROWS}); "
    "long values are cut short.",
    _object({"sql": _SQL, "params": _PARAMS,
             "max_rows": {"type": "integer", "minimum": 1, "maximum": MAX_ROWS, "default": DEFAULT_MAX_ROWS}},
            ("sql",)),
    output(_ROWS, _ROWS_REQUIRED), _READ)
EXPLAIN = _tool(
    "explain", "Explain a query",
    "The planner's plan for one read-only SQL statement (plain EXPLAIN: the statement does not run).",
    _object({"sql": _SQL, "params": _PARAMS}, ("sql",)),
    output({"plan": {"type": "string"}}, ("plan",)), _READ)
EXECUTE = _tool(
    "execute", "Execute a statement",
    "Run one SQL statement that may change data or schema (INSERT, UPDATE, DELETE, CREATE, ALTER, ...), "
    "committed at once. Returns the command status and any RETURNING rows.",
    _object({"sql": _SQL, "params": _PARAMS}, ("sql",)),
    output({**_ROWS, "status": {"type": "string"}}, (*_ROWS_REQUIRED, "status")), _WRITE)

READ_TOOLS: tuple[dict[str, Any], ...] = (LIST_SCHEMAS, LIST_TABLES, DESCRIBE_TABLE, QUERY, EXPLAIN)
WRITE_TOOLS: tuple[dict[str, Any], ...] = (*READ_TOOLS, EXECUTE)
