"""The schema tools: list_schemas, list_tables, describe_table, each one catalog query of Berth's own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
import orjson

from data_plane.tools import arguments
from data_plane.tools.contract import QueryLimits, ToolOutcome
from data_plane.tools.results import data_result, failure
from data_plane.tools.running import fetch_read
from data_plane.tools.values import CellRenderer

LIST_SCHEMAS_SQL = """
SELECT n.nspname AS name, pg_catalog.obj_description(n.oid, 'pg_namespace') AS comment
FROM pg_catalog.pg_namespace n
WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
  AND pg_catalog.has_schema_privilege(n.oid, 'USAGE')
ORDER BY 1
"""

# reltuples is -1 until the table is first analyzed: unknown, not empty.
LIST_TABLES_SQL = """
SELECT n.nspname AS schema, c.relname AS name,
       CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
                      WHEN 'm' THEN 'materialized view' ELSE 'foreign table' END AS kind,
       CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS estimated_rows,
       pg_catalog.obj_description(c.oid, 'pg_class') AS comment
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
  AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
  AND ($1::text IS NULL OR n.nspname = $1)
  AND pg_catalog.has_table_privilege(c.oid, 'SELECT')
ORDER BY 1, 2
LIMIT $2
"""

# One round trip for the whole description: every part is a json_agg beside the table row.
# Without a schema, the name resolves along the search path, as it would in a query.
DESCRIBE_TABLE_SQL = """
WITH t AS (
  SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltuples
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
    AND CASE WHEN $1::text IS NULL THEN c.oid = pg_catalog.to_regclass(pg_catalog.quote_ident($2))
             ELSE n.nspname = $1 AND c.relname = $2 END
)
SELECT t.nspname AS schema, t.relname AS name,
  CASE t.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
                 WHEN 'm' THEN 'materialized view' ELSE 'foreign table' END AS kind,
  CASE WHEN t.reltuples < 0 THEN NULL ELSE t.reltuples::bigint END AS estimated_rows,
  pg_catalog.obj_description(t.oid, 'pg_class') AS comment,
  (SELECT pg_catalog.json_agg(pg_catalog.json_build_object(
      'name', a.attname, 'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
      'nullable', NOT a.attnotnull, 'default', pg_catalog.pg_get_expr(d.adbin, d.adrelid),
      'comment', pg_catalog.col_description(t.oid, a.attnum))
      ORDER BY a.attnum)
   FROM pg_catalog.pg_attribute a
   LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
  (SELECT pg_catalog.json_agg(a.attname ORDER BY pg_catalog.array_position(k.conkey, a.attnum))
   FROM pg_catalog.pg_constraint k
   JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY(k.conkey)
   WHERE k.conrelid = t.oid AND k.contype = 'p') AS primary_key,
  (SELECT pg_catalog.json_agg(pg_catalog.json_build_object(
      'name', k.conname, 'definition', pg_catalog.pg_get_constraintdef(k.oid)) ORDER BY k.conname)
   FROM pg_catalog.pg_constraint k WHERE k.conrelid = t.oid AND k.contype <> 'p') AS constraints,
  (SELECT pg_catalog.json_agg(pg_catalog.json_build_object(
      'name', i.relname, 'definition', pg_catalog.pg_get_indexdef(i.oid)) ORDER BY i.relname)
   FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
   WHERE x.indrelid = t.oid) AS indexes
FROM t
"""


async def list_schemas(
    args: Mapping[str, Any], conn: asyncpg.Connection, limits: QueryLimits
) -> ToolOutcome:
    arguments.only(args, frozenset())
    records = await fetch_read(conn, LIST_SCHEMAS_SQL, (), limits)
    schemas = _dicts(records, limits)
    return data_result({"schemas": schemas}, f"{len(schemas)} schema(s).", len(schemas))


async def list_tables(
    args: Mapping[str, Any], conn: asyncpg.Connection, limits: QueryLimits
) -> ToolOutcome:
    arguments.only(args, frozenset({"schema"}))
    schema = arguments.optional_text(args, "schema")
    cap = limits.max_rows_cap
    records = await fetch_read(conn, LIST_TABLES_SQL, (schema, cap + 1), limits)
    tables = _dicts(records[:cap], limits)
    structured = {"tables": tables, "truncated": len(records) > cap}
    return data_result(structured, f"{len(tables)} table(s).", len(tables))


async def describe_table(
    args: Mapping[str, Any], conn: asyncpg.Connection, limits: QueryLimits
) -> ToolOutcome:
    arguments.only(args, frozenset({"table", "schema"}))
    table, schema = arguments.text(args, "table"), arguments.optional_text(args, "schema")
    records = await fetch_read(conn, DESCRIBE_TABLE_SQL, (schema, table), limits)
    if not records:
        where = f"schema {schema!r}" if schema else "the search path"
        message = f"no table, view or materialized view named {table!r} in {where} that you can see"
        return failure({"code": "not_found", "message": message}, f"Not found: {message}. Try list_tables.")
    row = dict(records[0])
    for part in ("columns", "primary_key", "constraints", "indexes"):
        row[part] = orjson.loads(row[part]) if row[part] else []
    described = CellRenderer(limits.max_cell_chars).render(row)
    return data_result(described, f"Table {row['schema']}.{row['name']}.", len(row["columns"]))


def _dicts(records: list[asyncpg.Record], limits: QueryLimits) -> list[dict[str, Any]]:
    renderer = CellRenderer(limits.max_cell_chars)
    return [renderer.render(record) for record in records]
