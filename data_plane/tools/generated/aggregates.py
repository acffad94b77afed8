"""``count_<t>_by_<col>`` (counts per value of low-cardinality columns) and ``summarize_<t>``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from control_plane.imports.names import quote_ident
from data_plane.tools.contract import QueryLimits, ToolOutcome
from data_plane.tools.generated import render
from data_plane.tools.generated.model import Column, Table
from data_plane.tools.generated.spec import GeneratedTool, only, relation, tool
from data_plane.tools.generated.types import COMPARABLE, output_schema
from data_plane.tools.outputs import nullable, output
from data_plane.tools.running import fetch_read
from data_plane.tools.values import CellRenderer

MAX_GROUPS = 50
# Below this estimate summarize counts exactly; above it, min and max only where an index finds them.
EXACT_ROWS = 200_000
_GROUPABLE = frozenset({"boolean", "enum", "text", "integer", "date", "uuid", "numeric"})


def groupable(table: Table) -> list[Column]:
    """Columns with at most MAX_GROUPS distinct values by statistics (booleans and small enums always)."""
    found = []
    for column in table.columns:
        distinct = table.estimated_distinct(column)
        fixed = column.kind == "boolean" or (column.kind == "enum" and len(column.enum_values) <= MAX_GROUPS)
        if column.kind in _GROUPABLE and (fixed or _few(table, distinct)):
            found.append(column)
    return found


def _few(table: Table, distinct: float | None) -> bool:
    """At most MAX_GROUPS values, repeated: a key-like column (every value once or so) is left out."""
    if distinct is None or not 0 < distinct <= MAX_GROUPS:
        return False
    return table.estimated_rows is None or distinct * 2 <= table.estimated_rows


def build_count(table: Table, column: Column, name: str) -> GeneratedTool:
    ident = quote_ident(column.name)
    sql = (f"SELECT {ident} AS value, count(*) AS count FROM {relation(table)} "
           f"GROUP BY {ident} ORDER BY count(*) DESC, {ident} LIMIT {MAX_GROUPS + 1}")

    async def run(args: Mapping[str, Any], conn: asyncpg.Connection, limits: QueryLimits) -> ToolOutcome:
        only(args, frozenset())
        records = await fetch_read(conn, sql, (), limits)
        renderer = CellRenderer(limits.max_cell_chars)
        groups = [{"value": renderer.render(r["value"]), "count": r["count"]} for r in records[:MAX_GROUPS]]
        structured = {"column": column.name, "groups": groups, "truncated": len(records) > MAX_GROUPS}
        return render.data(structured, f"Rows of {table.qualified} per {column.name}.", len(groups))

    group = {"type": "object", "properties": {"value": output_schema(column.kind, True, column.type),
                                              "count": {"type": "integer"}}, "required": ["value", "count"]}
    outputs = output({"column": {"type": "string"}, "groups": {"type": "array", "items": group},
                      "truncated": {"type": "boolean"}}, ["column", "groups", "truncated"])
    description = (f"How many rows of {table.qualified} have each value of {column.name} "
                   f"({column.type}), most frequent first (at most {MAX_GROUPS} groups).")
    definition = tool(name, f"Count {table.qualified} by {column.name}", description, {}, (), outputs)
    return GeneratedTool(name, definition, run, table.qualified)


def _summary_sql(table: Table, exact: bool) -> tuple[str, list[Column]]:
    indexed = {i.columns[0] for i in table.indexes if i.columns and i.method == "btree"}
    ranged = [c for c in table.columns if c.kind in COMPARABLE and (exact or c.name in indexed)]
    parts = ["count(*) AS row_count" if exact else "NULL::bigint AS row_count"]
    source = relation(table)
    for i, column in enumerate(ranged):
        ident = quote_ident(column.name)
        if exact:
            parts += [f"min({ident})::text AS min_{i}", f"max({ident})::text AS max_{i}"]
        else:
            parts += [f"(SELECT min({ident}) FROM {source})::text AS min_{i}",
                      f"(SELECT max({ident}) FROM {source})::text AS max_{i}"]
    return f"SELECT {', '.join(parts)}" + (f" FROM {source}" if exact else ""), ranged


def build_summary(table: Table, name: str) -> GeneratedTool:
    exact = table.estimated_rows is None or table.estimated_rows <= EXACT_ROWS
    sql, ranged = _summary_sql(table, exact)

    async def run(args: Mapping[str, Any], conn: asyncpg.Connection, limits: QueryLimits) -> ToolOutcome:
        only(args, frozenset())
        record = (await fetch_read(conn, sql, (), limits))[0]
        bounds = {c.name: (record[f"min_{i}"], record[f"max_{i}"]) for i, c in enumerate(ranged)}
        columns = [_column_summary(table, c, bounds.get(c.name)) for c in table.columns]
        count = record["row_count"] if exact else table.estimated_rows
        structured = {"table": table.qualified, "row_count": count, "row_count_exact": exact,
                      "columns": columns}
        return render.data(structured, f"Summary of {table.qualified}.", len(columns))

    text = nullable({"type": "string"})
    number = nullable({"type": "number"})
    column = {"type": "object", "properties": {
        "name": {"type": "string"}, "type": {"type": "string"}, "null_fraction": number,
        "distinct_estimate": number, "min": text, "max": text}, "required": ["name", "type"]}
    outputs = output({"table": {"type": "string"}, "row_count": nullable({"type": "integer"}),
                      "row_count_exact": {"type": "boolean"},
                      "columns": {"type": "array", "items": column}},
                     ["table", "row_count", "row_count_exact", "columns"])
    how = "exact row count and ranges" if exact else "estimated row count, ranges of indexed columns"
    description = (f"Shape of {table.qualified}: {how}; per column its null fraction and distinct "
                   "estimate from statistics.")
    definition = tool(name, f"Summarize {table.qualified}", description, {}, (), outputs)
    return GeneratedTool(name, definition, run, table.qualified)


def _column_summary(table: Table, column: Column, bounds: tuple[Any, Any] | None) -> dict[str, Any]:
    low, high = bounds or (None, None)
    return {"name": column.name, "type": column.type, "null_fraction": column.null_frac,
            "distinct_estimate": table.estimated_distinct(column), "min": low, "max": high}
