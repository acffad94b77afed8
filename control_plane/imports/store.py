"""The ``imports`` table: one row per file, from upload to loaded or failed; its SQL lives here only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import asyncpg


class Mode(StrEnum):
    CREATE = "create"
    REPLACE = "replace"
    APPEND = "append"


class State(StrEnum):
    QUEUED = "queued"
    LOADING = "loading"
    DONE = "done"
    FAILED = "failed"


# An import still to finish: the worker will (or does) load it.
UNFINISHED = (State.QUEUED, State.LOADING)


class Format(StrEnum):
    CSV = "csv"
    TSV = "tsv"
    JSON = "json"
    NDJSON = "ndjson"
    XLSX = "xlsx"
    PARQUET = "parquet"
    SQL = "sql"
    MARKDOWN = "markdown"


MAX_ERRORS = 20
FIELDS = ("id", "endpoint_id", "format", "table_name", "mode", "state", "bytes_total", "bytes_done",
          "rows_done", "rows_rejected", "tables", "errors", "created_at", "started_at", "finished_at")
COLUMNS = ", ".join(FIELDS)

INSERT = f"""
INSERT INTO imports (id, tenant_id, endpoint_id, format, table_name, mode, options, spool_path, bytes_total,
  actor, request_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
RETURNING {COLUMNS}
"""
ONE = f"SELECT {COLUMNS} FROM imports WHERE id = $1 AND endpoint_id = $2 AND tenant_id = $3"
ALL = f"""
SELECT {COLUMNS} FROM imports WHERE endpoint_id = $1 AND tenant_id = $2 ORDER BY created_at DESC, id LIMIT $3
"""
FIRST = f"""
SELECT {COLUMNS} FROM imports WHERE endpoint_id = $1 AND tenant_id = $2 ORDER BY created_at, id LIMIT 1
"""
WORK = """
SELECT i.tenant_id, i.endpoint_id, i.format, i.table_name, i.mode, i.options, i.spool_path, i.state,
  i.bytes_total, i.actor, i.request_id, extract(epoch FROM now() - i.created_at)::float8 AS age_seconds,
  e.status AS endpoint_status, e.plan, e.seal_key_id, e.sealed_owner_dsn
FROM imports i JOIN endpoints e ON e.id = i.endpoint_id WHERE i.id = $1
"""
TO_LOAD = "SELECT id FROM imports WHERE id = ANY($1::uuid[]) AND state IN ('queued', 'loading')"
START = """
UPDATE imports SET state = 'loading', started_at = coalesce(started_at, now()), bytes_done = 0, rows_done = 0,
  updated_at = now()
WHERE id = $1 AND state IN ('queued', 'loading')
"""
PROGRESS = "UPDATE imports SET bytes_done = $2, rows_done = $3, updated_at = now() WHERE id = $1"
DONE = """
UPDATE imports SET state = 'done', bytes_done = bytes_total, rows_done = $2, tables = $3, errors = '[]',
  spool_path = NULL, finished_at = now(), updated_at = now()
WHERE id = $1 AND state = 'loading'
"""
FAILED = """
UPDATE imports SET state = 'failed', errors = $2, rows_done = 0, spool_path = NULL, finished_at = now(),
  updated_at = now()
WHERE id = $1 AND state IN ('queued', 'loading')
"""


@dataclass(frozen=True)
class Import:
    id: UUID
    endpoint_id: UUID
    format: str
    table_name: str | None
    mode: str
    state: str
    bytes_total: int
    bytes_done: int
    rows_done: int
    rows_rejected: int
    tables: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class NewImport:
    id: UUID
    tenant_id: UUID
    endpoint_id: UUID
    format: Format
    table_name: str | None
    mode: Mode
    options: dict[str, Any]
    spool_path: str
    bytes_total: int
    actor: str
    request_id: str | None


def view(row: asyncpg.Record) -> Import:
    return Import(**{name: row[name] for name in FIELDS})


async def insert(conn: asyncpg.Connection, new: NewImport) -> Import:
    row = await conn.fetchrow(INSERT, new.id, new.tenant_id, new.endpoint_id, new.format.value,
                              new.table_name, new.mode.value, new.options, new.spool_path, new.bytes_total,
                              new.actor, new.request_id)
    return view(row)


async def get(conn: asyncpg.Connection, tenant_id: UUID, endpoint_id: UUID, import_id: UUID) -> Import | None:
    row = await conn.fetchrow(ONE, import_id, endpoint_id, tenant_id)
    return None if row is None else view(row)


async def list_for(conn: asyncpg.Connection, tenant_id: UUID, endpoint_id: UUID, limit: int) -> list[Import]:
    return [view(row) for row in await conn.fetch(ALL, endpoint_id, tenant_id, limit)]


async def first_for(conn: asyncpg.Connection, tenant_id: UUID, endpoint_id: UUID) -> Import | None:
    """The endpoint's oldest import: the file it was created with, when it was."""
    row = await conn.fetchrow(FIRST, endpoint_id, tenant_id)
    return None if row is None else view(row)


async def work(pool: asyncpg.Pool, import_id: UUID) -> asyncpg.Record | None:
    """What the worker needs to load one import, the endpoint's sealed owner DSN included."""
    return await pool.fetchrow(WORK, import_id)


async def still_to_load(pool: asyncpg.Pool, import_ids: list[UUID]) -> set[UUID]:
    """Those of ``import_ids`` whose rows are queued or loading: their spool files are still needed."""
    return {row["id"] for row in await pool.fetch(TO_LOAD, import_ids)}


async def start(pool: asyncpg.Pool, import_id: UUID) -> bool:
    """``queued|loading -> loading`` (a retried job starts over); False when it already finished."""
    return str(await pool.execute(START, import_id)).endswith(" 1")


async def progress(pool: asyncpg.Pool, import_id: UUID, bytes_done: int, rows_done: int) -> None:
    await pool.execute(PROGRESS, import_id, bytes_done, rows_done)


async def done(conn: asyncpg.Connection, import_id: UUID, rows: int, tables: list[dict[str, Any]]) -> None:
    await conn.execute(DONE, import_id, rows, tables)


async def failed(conn: asyncpg.Connection | asyncpg.Pool, import_id: UUID,
                 errors: list[dict[str, Any]]) -> None:
    await conn.execute(FAILED, import_id, errors[:MAX_ERRORS])


LOADED = """
SELECT coalesce(sum(bytes_done), 0) AS bytes, coalesce(sum(rows_done), 0) AS rows
FROM imports WHERE state = 'done'
"""


@dataclass(frozen=True)
class Loaded:
    bytes: int
    rows: int


async def loaded(conn: asyncpg.Connection | asyncpg.Pool) -> Loaded:
    """Bytes and rows of every finished import still in the table (the worker's gauges)."""
    row = await conn.fetchrow(LOADED)
    return Loaded(int(row["bytes"]), int(row["rows"]))
