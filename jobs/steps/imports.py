"""The worker's step for one import: load the spooled file into the endpoint's database, then settle the row.

An import whose endpoint is still being provisioned (one created with its
file) is deferred: the job comes back in ``WAIT_SECONDS`` without using up an
attempt, for at most ``MAX_WAIT_SECONDS`` after the upload.

Safe to repeat: a finished import is left alone; a crash mid-load rolls the
endpoint's transaction back and the retried job starts over from the spool
file; a crash after the load committed is recognised by the table's comment
(``loader.mark``) and only settled. ``BadImport`` ends the import ``failed``
with the reason and where in the file; other errors propagate so the job
retries.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import redis.asyncio as aioredis

from control_plane.catalog.endpoints import EndpointStatus
from control_plane.catalog.jobs.failures import Deferred
from control_plane.errors import BadImport, EndpointNotReady, SpoolMissing
from control_plane.imports import corpus, pipeline, scripts, spool, store
from control_plane.imports.formats.script import Guard, ScriptRefused, ScriptSource
from control_plane.imports.limits import PlanLimits
from control_plane.imports.pipeline import Loaded, Report
from control_plane.imports.sources import open_sources
from control_plane.imports.store import Format, Mode, State
from control_plane.redis.invalidation import endpoint_message, publish
from control_plane.sealing import Sealed, Sealer
from control_plane.services import audit

SESSION = {"application_name": "berth:import", "statement_timeout": "0"}
WAIT_SECONDS = 1.0
PROGRESS_SECONDS = 0.5
MAX_WAIT_SECONDS = 3600.0


async def run_import(pool: asyncpg.Pool, sealer: Sealer, redis: aioredis.Redis, import_id: UUID,
                     guard: Guard | None = None) -> str:
    """Load one import; returns a sentence saying what happened.

    ``guard`` is the write guard SQL scripts are judged by (the worker hands in the gateway's);
    without one a script is refused.
    """
    work = await store.work(pool, import_id)
    if work is None or work["state"] in (State.DONE, State.FAILED):
        return f"import {import_id} is {work['state'] if work else 'gone'}; nothing to do"
    if work["endpoint_status"] == EndpointStatus.PROVISIONING and work["age_seconds"] < MAX_WAIT_SECONDS:
        raise Deferred(f"import {import_id} waits for its endpoint to be provisioned", seconds=WAIT_SECONDS)
    if work["endpoint_status"] != EndpointStatus.READY:
        await _fail(pool, import_id, work, EndpointNotReady("the endpoint is not ready"))
        return f"import {import_id} failed: its endpoint is {work['endpoint_status']}"
    if not await store.start(pool, import_id):
        return f"import {import_id} finished meanwhile; nothing to do"
    try:
        loaded = await _load(pool, sealer, import_id, work, guard)
    except BadImport as exc:
        await _fail(pool, import_id, work, exc)
        return f"import {import_id} failed: {exc}"
    await _succeed(pool, import_id, work, loaded)
    await publish(redis, endpoint_message(work["endpoint_id"]))
    return f"import {import_id} loaded {loaded.rows} rows into {', '.join(t['name'] for t in loaded.tables)}"


async def _load(pool: asyncpg.Pool, sealer: Sealer, import_id: UUID, work: asyncpg.Record,
                guard: Guard | None) -> Loaded:
    path = Path(work["spool_path"] or "")
    if not work["spool_path"] or not await asyncio.to_thread(path.exists):
        raise SpoolMissing("the uploaded file is no longer in the spool; upload it again")
    fmt = Format(work["format"])
    if fmt is Format.SQL:
        return await _load_script(pool, sealer, import_id, work, ScriptSource(path, guard or _no_guard))
    if fmt is Format.MARKDOWN:
        return await _load_corpus(pool, sealer, import_id, work, path)

    sources = open_sources(fmt, path, work["table_name"], work["options"])
    conn = await _owner(sealer, work)
    try:
        return await pipeline.run(conn, sources, Mode(work["mode"]), str(import_id),
                                  _reporter(pool, import_id), limits=_limits(work))
    finally:
        await conn.close()


async def _load_script(pool: asyncpg.Pool, sealer: Sealer, import_id: UUID, work: asyncpg.Record,
                       source: ScriptSource) -> Loaded:
    """Judge every statement first (nothing runs if one is refused), then replay the script."""
    shape = await asyncio.to_thread(source.scan)

    conn = await _owner(sealer, work)
    try:
        return await scripts.replay(conn, source, shape, str(import_id), _reporter(pool, import_id),
                                    limits=_limits(work))
    finally:
        await conn.close()


async def _load_corpus(pool: asyncpg.Pool, sealer: Sealer, import_id: UUID, work: asyncpg.Record,
                       path: Path) -> Loaded:
    """Markdown or text, one file or a zip of many, into documents, headings, links and tags."""
    name = str(work["options"].get("filename") or f"{work['table_name'] or 'document'}.md")

    conn = await _owner(sealer, work)
    try:
        return await corpus.load(conn, path, name, Mode(work["mode"]), str(import_id),
                                 _reporter(pool, import_id), limits=_limits(work))
    finally:
        await conn.close()


def _reporter(pool: asyncpg.Pool, import_id: UUID) -> Report:
    """Progress into the import's row at most every ``PROGRESS_SECONDS``: a row a chunk would hold up the
    ``COPY`` it reports on (the next chunk waits for the write) for no reader's benefit."""
    last = -PROGRESS_SECONDS

    async def report(bytes_done: int, rows_done: int) -> None:
        nonlocal last
        if time.monotonic() - last >= PROGRESS_SECONDS:
            last = time.monotonic()
            await store.progress(pool, import_id, bytes_done, rows_done)
    return report


async def _owner(sealer: Sealer, work: asyncpg.Record) -> asyncpg.Connection:
    dsn = sealer.open_dsn(Sealed(work["seal_key_id"], work["sealed_owner_dsn"]), work["endpoint_id"], "owner")
    return await asyncpg.connect(dsn, server_settings=SESSION)


def _limits(work: asyncpg.Record) -> PlanLimits:
    return PlanLimits.of(work["plan"])


def _no_guard(sql: str) -> str:
    return "this worker has no write guard to check SQL scripts with"


def _summary(work: asyncpg.Record, loaded: Loaded | None) -> dict[str, Any]:
    tables = [] if loaded is None else [{"name": t["name"], "rows": t["rows"]} for t in loaded.tables]
    return {"format": work["format"], "mode": work["mode"], "bytes": work["bytes_total"], "tables": tables,
            "rows": 0 if loaded is None else loaded.rows}


async def _succeed(pool: asyncpg.Pool, import_id: UUID, work: asyncpg.Record, loaded: Loaded) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await store.done(conn, import_id, loaded.rows, loaded.tables)
        await _audit(conn, import_id, work, "ok", _summary(work, loaded))
    _discard(work["spool_path"])


async def _fail(pool: asyncpg.Pool, import_id: UUID, work: asyncpg.Record,
                exc: BadImport | EndpointNotReady) -> None:
    async with pool.acquire() as conn, conn.transaction():
        errors = exc.all_json() if isinstance(exc, ScriptRefused) else [_entry(exc)]
        await store.failed(conn, import_id, errors)
        await _audit(conn, import_id, work, "error", {**_summary(work, None), "error": exc.code})
    _discard(work["spool_path"])


def _entry(exc: BadImport | EndpointNotReady) -> dict[str, Any]:
    """The error-list entry; an endpoint that is not ready is a 409 elsewhere, so not a ``BadImport``."""
    if isinstance(exc, BadImport):
        return exc.as_json()
    return {"line": None, "column": None, "message": exc.message, "code": exc.code}


async def _audit(conn: asyncpg.Connection, import_id: UUID, work: asyncpg.Record, outcome: str,
                 detail: dict[str, Any]) -> None:
    await audit.write(conn, work["tenant_id"], work["actor"], "endpoint.import", import_id, outcome=outcome,
                      request_id=work["request_id"], endpoint_id=work["endpoint_id"], detail=detail)


async def sweep_spool(pool: asyncpg.Pool, directory: Path, before: datetime) -> str:
    """Remove spool files untouched since ``before`` unless their import is still to load; says how many.

    A live upload writes its ``.part`` with every chunk, and a queued or loading import keeps its
    ``.upload`` however old; anything else (an upload whose process died, a file whose import row
    never committed or already finished) is left over.
    """
    stale = await asyncio.to_thread(spool.untouched, directory, before.timestamp())
    live = await store.still_to_load(pool, [import_id for import_id, _ in stale])
    gone = [path for import_id, path in stale if import_id not in live]
    for path in gone:
        await asyncio.to_thread(spool.discard, path)
    return f"removed {len(gone)} of {len(stale)} spool files untouched since {before:%Y-%m-%d %H:%M}"


def _discard(spool_path: str | None) -> None:
    if spool_path:
        Path(spool_path).unlink(missing_ok=True)
