"""Reading an endpoint's schema from ``pg_catalog``: a cheap fingerprint, and one query for everything else.

The fingerprint changes with any DDL or GRANT the generator cares about (the
system rows' ``xmin`` moves when they are rewritten), so a replica re-reads the
schema only when it has changed. ANALYZE rewrites nothing it hashes: row
estimates and statistics refresh when the endpoint is invalidated (an import
publishes that) or the schema changes.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson

from data_plane.tools.generated.model import Column, ForeignKey, Index, Schema, Table
from data_plane.tools.generated.types import kind_of

USER_SCHEMAS = "n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'"

FINGERPRINT_SQL = f"""
SELECT pg_catalog.md5(coalesce(pg_catalog.string_agg(x, ',' ORDER BY x), '')) FROM (
  SELECT 'c' || c.oid::text || '.' || c.xmin::text AS x
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'i') AND {USER_SCHEMAS}
  UNION ALL
  SELECT 'a' || a.attrelid::text || '.' || a.attnum::text || '.' || a.xmin::text
  FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND {USER_SCHEMAS}
  UNION ALL
  SELECT 'k' || k.oid::text || '.' || k.xmin::text
  FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_namespace n ON n.oid = k.connamespace
  WHERE {USER_SCHEMAS}
  UNION ALL
  SELECT 'e' || e.oid::text || '.' || e.xmin::text FROM pg_catalog.pg_enum e
) f
"""

# One round trip: every visible relation with its columns (types, statistics, enum labels, and the
# values of a text column when statistics saw at most $2 of them covering every row), primary key,
# foreign keys and indexes, as one JSON document.
SCHEMA_SQL = f"""
SELECT coalesce(pg_catalog.json_agg(r ORDER BY r.schema, r.name), '[]') FROM (
  SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind,
    CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS estimated_rows,
    pg_catalog.obj_description(c.oid, 'pg_class') AS comment,
    c.relkind IN ('r', 'p') AND pg_catalog.has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE') AS writable,
    (SELECT pg_catalog.json_agg(pg_catalog.json_build_object(
        'name', a.attname, 'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
        'base', bt.typname, 'typtype', bt.typtype::text, 'category', bt.typcategory::text,
        'nullable', NOT a.attnotnull, 'has_default', a.atthasdef OR a.attidentity <> '',
        'generated', a.attgenerated <> '',
        'enum', (SELECT pg_catalog.json_agg(e.enumlabel ORDER BY e.enumsortorder)
                 FROM pg_catalog.pg_enum e WHERE e.enumtypid = bt.oid),
        'n_distinct', s.n_distinct, 'null_frac', s.null_frac,
        'common', CASE WHEN bt.typcategory = 'S' AND s.n_distinct BETWEEN 1 AND $2::int
                         AND s.null_frac + (SELECT pg_catalog.sum(f)
                                            FROM pg_catalog.unnest(s.most_common_freqs) f) > 0.999
                       THEN s.most_common_vals::text::text[] END,
        'comment', pg_catalog.col_description(c.oid, a.attnum)) ORDER BY a.attnum)
     FROM pg_catalog.pg_attribute a
     JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
     JOIN pg_catalog.pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
     LEFT JOIN LATERAL (SELECT st.n_distinct, st.null_frac, st.most_common_vals, st.most_common_freqs
                        FROM pg_catalog.pg_stats st
                        WHERE st.schemaname = n.nspname AND st.tablename = c.relname
                          AND st.attname = a.attname ORDER BY st.inherited DESC LIMIT 1) s ON true
     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       AND pg_catalog.has_column_privilege(c.oid, a.attnum, 'SELECT')) AS columns,
    (SELECT pg_catalog.json_agg(a.attname ORDER BY pg_catalog.array_position(k.conkey, a.attnum))
     FROM pg_catalog.pg_constraint k
     JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
     WHERE k.conrelid = c.oid AND k.contype = 'p') AS primary_key,
    (SELECT pg_catalog.json_agg(pg_catalog.json_build_object(
        'name', k.conname, 'ref_schema', rn.nspname, 'ref_table', rc.relname,
        'columns', (SELECT pg_catalog.json_agg(a.attname ORDER BY u.i) FROM pg_catalog.unnest(k.conkey)
                    WITH ORDINALITY u(num, i) JOIN pg_catalog.pg_attribute a
                    ON a.attrelid = k.conrelid AND a.attnum = u.num),
        'ref_columns', (SELECT pg_catalog.json_agg(a.attname ORDER BY u.i) FROM pg_catalog.unnest(k.confkey)
                        WITH ORDINALITY u(num, i) JOIN pg_catalog.pg_attribute a
                        ON a.attrelid = k.confrelid AND a.attnum = u.num)) ORDER BY k.conname)
     FROM pg_catalog.pg_constraint k
     JOIN pg_catalog.pg_class rc ON rc.oid = k.confrelid
     JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
     WHERE k.conrelid = c.oid AND k.contype = 'f') AS foreign_keys,
    (SELECT pg_catalog.json_agg(pg_catalog.json_build_object(
        'method', am.amname, 'partial', x.indpred IS NOT NULL,
        'columns', (SELECT pg_catalog.json_agg(coalesce(a.attname, '') ORDER BY u.i)
                    FROM pg_catalog.unnest(x.indkey::int2[]) WITH ORDINALITY u(num, i)
                    LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = u.num),
        'opclasses', (SELECT pg_catalog.json_agg(o.opcname ORDER BY u.i)
                      FROM pg_catalog.unnest(x.indclass::oid[]) WITH ORDINALITY u(oid, i)
                      JOIN pg_catalog.pg_opclass o ON o.oid = u.oid),
        'expression', pg_catalog.pg_get_indexdef(x.indexrelid, 1, true),
        'definition', pg_catalog.pg_get_indexdef(x.indexrelid)) ORDER BY i.relname)
     FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
     JOIN pg_catalog.pg_am am ON am.oid = i.relam
     WHERE x.indrelid = c.oid AND x.indisvalid) AS indexes
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition AND {USER_SCHEMAS}
    AND pg_catalog.has_table_privilege(c.oid, 'SELECT')
  ORDER BY c.reltuples DESC, n.nspname, c.relname
  LIMIT $1
) r
"""

_TRGM_OPCLASSES = frozenset({"gin_trgm_ops", "gist_trgm_ops"})
MAX_LISTED_VALUES = 20


async def fingerprint(conn: asyncpg.Connection | asyncpg.Pool) -> str:
    value: str = await conn.fetchval(FINGERPRINT_SQL)
    return value


async def read_schema(conn: asyncpg.Connection | asyncpg.Pool, print_: str, max_tables: int) -> Schema:
    """The schema as the connection's role sees it: at most ``max_tables`` relations, largest first."""
    raw = await conn.fetchval(SCHEMA_SQL, max_tables, MAX_LISTED_VALUES)
    rows: list[dict[str, Any]] = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
    return Schema(print_, tuple(_table(row) for row in rows))


def _table(row: dict[str, Any]) -> Table:
    columns = tuple(_column(c) for c in row["columns"] or [])
    return Table(
        schema=row["schema"], name=row["name"], kind=_KINDS.get(row["kind"], "table"),
        estimated_rows=row["estimated_rows"], comment=row["comment"], columns=columns,
        primary_key=tuple(row["primary_key"] or ()),
        foreign_keys=tuple(_foreign_key(f) for f in row["foreign_keys"] or []),
        indexes=tuple(_index(i) for i in row["indexes"] or []),
        writable=bool(row["writable"]),
    )


_KINDS = {"r": "table", "p": "table", "v": "view", "m": "materialized view", "f": "foreign table"}


def _column(row: dict[str, Any]) -> Column:
    enum = tuple(row["enum"] or ())
    return Column(
        name=row["name"], type=row["type"], kind=kind_of(row["base"], row["typtype"], row["category"]),
        base=row["base"],
        nullable=row["nullable"], has_default=row["has_default"], generated=row["generated"],
        enum_values=enum, n_distinct=row["n_distinct"], null_frac=row["null_frac"], comment=row["comment"],
        common_values=tuple(row.get("common") or ()),
    )


def _foreign_key(row: dict[str, Any]) -> ForeignKey:
    return ForeignKey(row["name"], tuple(row["columns"] or ()), row["ref_schema"], row["ref_table"],
                      tuple(row["ref_columns"] or ()))


def _index(row: dict[str, Any]) -> Index:
    columns = tuple(row["columns"] or ())
    opclasses = set(row["opclasses"] or ())
    search = None
    if row["method"] in ("gin", "gist") and "to_tsvector(" in (row["expression"] or ""):
        search = "fts"
    elif opclasses & _TRGM_OPCLASSES:
        search = "trgm"
    method = row["method"] if not row["partial"] else "partial"
    expression = row["expression"] if search == "fts" else ""
    return Index(columns, method, search, expression)
