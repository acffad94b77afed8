"""Into the endpoint's database, as its owner, in one transaction: create, replace or append, then ANALYZE.

``create`` refuses an existing table. ``replace`` loads a new table under a
temporary name, then drops the old one and renames the new one in the same
transaction: readers see the old rows until the commit and the new ones after
it, never an empty or missing table. ``append`` matches columns by name and
checks that every value fits the existing column's type. Any failure rolls the
whole transaction back, so the endpoint is left as it was.

Rows go in one of three ways, the first the scan allows: the file's own text
through ``COPY ... (FORMAT csv)`` when Postgres reads it as Berth would; the
cells re-written as CSV (``as_csv``) when every value is spelled as Postgres
reads it; converted values through binary COPY (``copy``). The first two run
in a savepoint (``copy_text``), so a refusal only sends the load the next way.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg

from control_plane.errors import NoSuchTable, RowsRefused, TableExists, TypeMismatch, UnknownColumn
from control_plane.imports.converters import accepts, family
from control_plane.imports.formats.base import AsWritten
from control_plane.imports.inference import Stats
from control_plane.imports.names import qualified, quote_ident
from control_plane.imports.store import Mode

EXISTS = "SELECT to_regclass($1) IS NOT NULL"
EXISTING_COLUMNS = """
SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""
COMMENT = "SELECT format('COMMENT ON COLUMN %s.%I IS %L', $1::text, $2::text, $3::text)"
LOCK_TIMEOUT = "SET LOCAL lock_timeout = '30s'"
MARKER = "SELECT obj_description(to_regclass($1), 'pg_class')"
MARK = "SELECT format('COMMENT ON TABLE %s IS %L', $1::text, $2::text)"
MARK_PREFIX = "Loaded by Berth import "
DATESTYLE = "SET LOCAL DateStyle = 'ISO, YMD'"

Batch = list[tuple[object, ...]]
REFUSED = (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError)  # what Postgres says of bad rows


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    source: str
    stats: Stats
    declared: bool = False


@dataclass(frozen=True)
class Target:
    table: str
    mode: Mode
    columns: list[Column]


async def prepare(conn: asyncpg.Connection, target: Target) -> tuple[str, list[str]]:
    """Make (or check) the table the rows go into; returns its name and each column's type there."""
    await conn.execute(LOCK_TIMEOUT)
    exists = await conn.fetchval(EXISTS, qualified(target.table))
    if target.mode is Mode.APPEND:
        if not exists:
            raise NoSuchTable(f"there is no table {target.table} to append to")
        return target.table, await _append_types(conn, target)
    if target.mode is Mode.CREATE and exists:
        raise TableExists(f"table {target.table} already exists; import with mode replace or append")
    name = target.table if target.mode is Mode.CREATE else _staging_name(target.table)
    await _create(conn, name, target.columns)
    return name, [c.type for c in target.columns]


async def finish(conn: asyncpg.Connection, target: Target, loaded_into: str) -> None:
    """Swap a replacement in, then refresh the planner's statistics."""
    if target.mode is Mode.REPLACE:
        await conn.execute(f"DROP TABLE IF EXISTS {qualified(target.table)}")
        await conn.execute(f"ALTER TABLE {qualified(loaded_into)} RENAME TO {quote_ident(target.table)}")
    await conn.execute(f"ANALYZE {qualified(target.table)}")


async def mark(conn: asyncpg.Connection, table: str, import_id: str, rows: int) -> None:
    """Name the import in the table's comment, in the load's transaction: a retry after a crash finds it."""
    await conn.execute(await conn.fetchval(MARK, qualified(table), f"{MARK_PREFIX}{import_id}: {rows} rows"))


async def marked_rows(conn: asyncpg.Connection, table: str, import_id: str) -> int | None:
    """The rows an earlier try of this import committed into ``table``, or None if it did not."""
    comment = await conn.fetchval(MARKER, qualified(table))
    prefix = f"{MARK_PREFIX}{import_id}: "
    if not comment or not comment.startswith(prefix):
        return None
    return int(comment[len(prefix):].split()[0])


async def copy(conn: asyncpg.Connection, table: str, columns: list[str],
               batches: AsyncIterator[Batch]) -> int:
    """COPY every batch into ``table``; the database's refusal (overflow, NOT NULL...) is a ``BadImport``."""
    total = 0
    async for batch in batches:
        try:
            await conn.copy_records_to_table(table, records=batch, columns=columns, schema_name="public")
        except REFUSED as exc:
            raise RowsRefused(f"the database refused a row near row {total + 1}: {exc}") from exc
        total += len(batch)
    return total


class ReadOtherwise(Exception):
    """Postgres read the file's text into another number of rows than the scan found."""


async def copy_text(conn: asyncpg.Connection, table: str, columns: list[str], rows: int,
                    chunks: AsyncIterator[bytes], options: dict[str, Any]) -> bool:
    """COPY text in a savepoint; False, with nothing kept, when Postgres refuses it or reads it otherwise.

    The savepoint confines a refusal (a value out of range for the server,
    a line ending style ``COPY`` does not follow) to this attempt: the caller
    then loads the converted values, which say exactly what is wrong, if anything.
    """
    try:
        async with conn.transaction():
            status = await copy_rows(conn, table, columns, chunks, options)
            if status != rows:
                raise ReadOtherwise(f"{status} rows")
    except (*REFUSED, ReadOtherwise):
        return False
    return True


async def copy_rows(conn: asyncpg.Connection, table: str, columns: list[str], chunks: AsyncIterator[bytes],
                    options: dict[str, Any]) -> int:
    """COPY text in the current transaction: the rows Postgres read. Its refusal (``REFUSED``) propagates."""
    await conn.execute(DATESTYLE)
    status = await conn.copy_to_table(table, source=chunks, columns=columns, schema_name="public", **options)
    return int(status.split()[-1])


def as_written_options(written: AsWritten, header: bool, columns: list[str]) -> dict[str, Any]:
    """COPY's options for the file itself: its delimiter and header, its one null marker or none."""
    nulls: dict[str, Any] = ({"force_not_null": columns} if written.null is None
                             else {"null": written.null, "force_null": columns})
    return {"format": "csv", "header": header, "delimiter": written.delimiter, **nulls}


def _staging_name(table: str) -> str:
    return f"{table[:40]}__import_{secrets.token_hex(4)}"


async def _create(conn: asyncpg.Connection, table: str, columns: list[Column]) -> None:
    body = ", ".join(f"{quote_ident(c.name)} {c.type}" for c in columns)
    await conn.execute(f"CREATE TABLE {qualified(table)} ({body})")
    for column in columns:
        if column.source and column.source != column.name:
            await conn.execute(await conn.fetchval(COMMENT, qualified(table), column.name, column.source))


async def _append_types(conn: asyncpg.Connection, target: Target) -> list[str]:
    existing = {r["name"]: r["type"] for r in await conn.fetch(EXISTING_COLUMNS, qualified(target.table))}
    missing = [c.name for c in target.columns if c.name not in existing]
    if missing:
        raise UnknownColumn(f"table {target.table} has no column {', '.join(missing)}", column=missing[0])
    for column in target.columns:
        fits = (family(existing[column.name]) == family(column.type) if column.declared
                else accepts(existing[column.name], column.stats))
        if not fits:
            raise TypeMismatch(f"column {column.name} is {existing[column.name]}, and the file's values "
                               f"there are not", column=column.name)
    return [existing[c.name] for c in target.columns]

