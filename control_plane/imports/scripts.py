"""A judged SQL script replayed into the endpoint's database as its owner, in one transaction, then ANALYZE.

Each statement runs on its own (pglast found exactly one in its text); ``COPY
... FROM stdin`` data is streamed in 1 MiB chunks through ``copy_to_table``.
A statement the database refuses fails the import with its line, and the
transaction takes everything back. The schema ``public``'s comment names the
import in the same transaction, so a retry after the commit only reports.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg

from control_plane.errors import RowsRefused, StatementFailed
from control_plane.imports.formats.script import CopyIn, ScriptShape, ScriptSource, Step
from control_plane.imports.limits import PlanLimits
from control_plane.imports.names import quote_ident
from control_plane.imports.pipeline import Loaded, Report

PREPARE = "SET LOCAL check_function_bodies = off; SET LOCAL lock_timeout = '30s'"
MARKER = "SELECT obj_description('public'::regnamespace, 'pg_namespace')"
MARK = "SELECT format('COMMENT ON SCHEMA public IS %L', $1::text)"
MARK_PREFIX = "Loaded by Berth import "
TABLES = """
SELECT c.oid::regclass::text AS name, c.relname, n.nspname,
  json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                             'source', a.attname) ORDER BY a.attnum) AS columns
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p') AND pg_has_role(c.relowner, 'USAGE')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
GROUP BY c.oid, c.relname, n.nspname ORDER BY n.nspname, c.relname
"""
STATEMENTS_PER_REPORT = 500


async def replay(conn: asyncpg.Connection, source: ScriptSource, shape: ScriptShape, import_id: str,
                 report: Report, *, limits: PlanLimits) -> Loaded:
    """Run the script's steps in one transaction; a refusal by the database is a ``BadImport``."""
    done = await _already_loaded(conn, import_id)
    if done is not None:
        return done
    async with conn.transaction():
        await conn.execute(PREPARE)
        before = {_qualified(row) for row in await conn.fetch(TABLES)}
        copied = await _run_steps(conn, source, shape, report)
        tables = await _describe(conn, copied, before)
        for table in tables:
            await conn.execute(f"ANALYZE {table.pop('qualified')}")
        rows = sum(t["rows"] for t in tables)
        await limits.check(conn, rows)
        await conn.execute(await conn.fetchval(MARK, f"{MARK_PREFIX}{import_id}: {rows} rows"))
    return Loaded(tables, rows)


async def _run_steps(conn: asyncpg.Connection, source: ScriptSource, shape: ScriptShape,
                     report: Report) -> dict[str, int]:
    copied: dict[str, int] = {}
    steps = source.steps(shape)
    count = 0
    while (step := await asyncio.to_thread(next, steps, None)) is not None:
        if step.copy is not None and step.data is not None:
            name, rows = await _copy(conn, step, step.copy, step.data)
            copied[name] = copied.get(name, 0) + rows
        else:
            await _execute(conn, step)
        count += 1
        if step.copy is not None or count % STATEMENTS_PER_REPORT == 0:
            await report(source.bytes_read(), sum(copied.values()))
    return copied


async def _execute(conn: asyncpg.Connection, step: Step) -> None:
    try:
        await conn.execute(step.statement.text)
    except asyncpg.PostgresError as exc:
        raise StatementFailed(f"the database refused the statement: {exc}", line=step.statement.line) from exc


async def _copy(conn: asyncpg.Connection, step: Step, target: CopyIn,
                data: Iterator[bytes]) -> tuple[str, int]:
    try:
        status = await conn.copy_to_table(target.table, source=_chunks(data), columns=target.columns,
                                          schema_name=target.schema, **target.options)
    except asyncpg.PostgresError as exc:
        raise RowsRefused(f"the database refused the COPY data: {exc}", line=step.statement.line) from exc
    named = ".".join(quote_ident(p) for p in (target.schema or "public", target.table))
    return named, int(str(status).split()[-1])


async def _chunks(data: Iterator[bytes]) -> AsyncIterator[bytes]:
    while (chunk := await asyncio.to_thread(next, data, None)) is not None:
        yield chunk


def _qualified(row: asyncpg.Record) -> str:
    return ".".join(quote_ident(p) for p in (row["nspname"], row["relname"]))


async def _describe(conn: asyncpg.Connection, copied: dict[str, int],
                    before: set[str]) -> list[dict[str, Any]]:
    """The tables the script made or copied into, with rows (COPY's count, else counted) and columns."""
    tables = []
    for row in await conn.fetch(TABLES):
        qualified = _qualified(row)
        if qualified in before and qualified not in copied:
            continue
        rows = copied.get(qualified)
        if rows is None:
            rows = int(await conn.fetchval(f"SELECT count(*) FROM {qualified}"))
        name = row["relname"] if row["nspname"] == "public" else f"{row['nspname']}.{row['relname']}"
        tables.append({"name": name, "rows": rows, "columns": _json(row["columns"]), "qualified": qualified})
    return tables


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def _already_loaded(conn: asyncpg.Connection, import_id: str) -> Loaded | None:
    comment = await conn.fetchval(MARKER)
    prefix = f"{MARK_PREFIX}{import_id}: "
    if not comment or not comment.startswith(prefix):
        return None
    return Loaded([], int(comment[len(prefix):].split()[0]))
