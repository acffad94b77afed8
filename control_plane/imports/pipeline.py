"""One import from spool file to tables: scan each table, settle its columns, COPY it in batches.

Scans run before the endpoint's database is touched. The load is one
transaction as the endpoint's owner; reading and converting a batch runs in a
thread so the event loop (the gateway's too, in ``berth dev``) stays free.
A file the scan found Postgres can read as written (``Shape.as_written``) is
sent to ``COPY`` as it is; else, when every value is spelled as Postgres reads
it, the cells are re-written as CSV for ``COPY``; else, or when ``COPY``
refuses either, each value is converted here and sent in binary.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

import asyncpg

from control_plane.errors import BadValue
from control_plane.imports import as_csv, loader
from control_plane.imports.converters import Convert, converter
from control_plane.imports.formats.base import AsWritten, Row, Shape, TableSource
from control_plane.imports.inference import resolve
from control_plane.imports.limits import PlanLimits
from control_plane.imports.loader import Column, Target
from control_plane.imports.names import column_names
from control_plane.imports.store import Mode

BATCH_ROWS = 5_000
Report = Callable[[int, int], Awaitable[None]]


@dataclass(frozen=True)
class Planned:
    source: TableSource
    shape: Shape
    target: Target


@dataclass(frozen=True)
class Loaded:
    tables: list[dict[str, Any]]
    rows: int


async def plan(sources: list[tuple[str, TableSource]], mode: Mode, limits: PlanLimits) -> list[Planned]:
    """Scan every table (in a thread) and settle its columns and types; more rows than the plan allows
    per import is a ``BadImport`` before the endpoint's database is touched."""
    planned: list[Planned] = []
    for table, source in sources:
        shape = await asyncio.to_thread(source.scan)
        names = column_names(shape.headers)
        types = shape.declared or [resolve(stats) for stats in shape.stats]
        declared = shape.declared is not None
        described = zip(names, types, shape.headers, shape.stats, strict=True)
        columns = [Column(name, kind, header, stats, declared) for name, kind, header, stats in described]
        planned.append(Planned(source, shape, Target(table, mode, columns)))
        limits.check_rows(sum(p.shape.rows for p in planned))
    return planned


async def load(conn: asyncpg.Connection, planned: list[Planned], import_id: str, report: Report, *,
               limits: PlanLimits) -> Loaded:
    """Everything in one transaction, held to the plan's limits before it commits; nothing is left behind
    when any part fails."""
    done = await _already_loaded(conn, planned, import_id)
    if done is not None:
        return done
    tables, total = [], 0
    async with conn.transaction():
        for item in planned:
            into, types = await loader.prepare(conn, item.target)
            rows = await _copy(conn, item, into, types, report, total)
            await loader.finish(conn, item.target, into)
            await loader.mark(conn, item.target.table, import_id, rows)
            total += rows
            tables.append(_described(item.target, types, rows))
        await limits.check(conn, total)
    return Loaded(tables, total)


async def _copy(conn: asyncpg.Connection, item: Planned, into: str, types: list[str], report: Report,
                before: int) -> int:
    """The file as written, else its cells as CSV, else converted values: the first the scan allows."""
    columns, shape = [c.name for c in item.target.columns], item.shape
    if shape.as_written is not None:
        options = loader.as_written_options(shape.as_written, shape.header, columns)
        chunks = _file_chunks(item.source, shape.as_written, shape.rows, report, before)
        if await loader.copy_text(conn, into, columns, shape.rows, chunks, options):
            return shape.rows
    if not shape.declared and all(s.copyable() for s in shape.stats):
        csv_chunks = _csv_chunks(item.source, shape, report, before)
        if await loader.copy_text(conn, into, columns, shape.rows, csv_chunks, as_csv.OPTIONS):
            return shape.rows
    converts = [_as_is if shape.declared else converter(t) for t in types]
    return await loader.copy(conn, into, columns, _batches(item.source, shape, converts, report, before))


async def _file_chunks(source: TableSource, written: AsWritten, rows: int, report: Report,
                       before: int) -> AsyncIterator[bytes]:
    chunks = written.chunks()
    try:
        while chunk := await asyncio.to_thread(next, chunks, b""):
            yield chunk
            done = source.bytes_read()
            await report(done, before + rows * done // max(written.size, 1))
    finally:
        chunks.close()


async def _csv_chunks(source: TableSource, shape: Shape, report: Report, before: int) -> AsyncIterator[bytes]:
    rows, sent = source.rows(shape), 0
    while True:
        chunk, taken = await asyncio.to_thread(as_csv.batch, rows, BATCH_ROWS)
        if not taken:
            return
        yield chunk
        sent += taken
        await report(source.bytes_read(), before + sent)


async def _already_loaded(conn: asyncpg.Connection, planned: list[Planned], import_id: str) -> Loaded | None:
    """A retry after the load committed but before the catalog heard of it: report, do not load twice."""
    counts = [await loader.marked_rows(conn, p.target.table, import_id) for p in planned]
    if any(c is None for c in counts):
        return None
    tables = [_described(p.target, [c.type for c in p.target.columns], rows or 0)
              for p, rows in zip(planned, counts, strict=True)]
    return Loaded(tables, sum(c or 0 for c in counts))


def _described(target: Target, types: list[str], rows: int) -> dict[str, Any]:
    columns = [{"name": c.name, "type": t, "source": c.source}
               for c, t in zip(target.columns, types, strict=True)]
    return {"name": target.table, "rows": rows, "columns": columns}


async def _batches(source: TableSource, shape: Shape, converts: list[Convert], report: Report,
                   before: int) -> AsyncIterator[list[tuple[object, ...]]]:
    rows = source.rows(shape)
    sent = 0
    while batch := await asyncio.to_thread(_take, rows, converts, sent):
        yield batch
        sent += len(batch)
        await report(source.bytes_read(), before + sent)


def _as_is(value: Any) -> Any:
    return value


def _take(rows: Iterator[Row], converts: list[Convert], offset: int) -> list[tuple[object, ...]]:
    batch = []
    for number, cells in enumerate(islice(rows, BATCH_ROWS), start=offset + 1):
        try:
            batch.append(tuple(None if c is None else f(c) for f, c in zip(converts, cells, strict=True)))
        except (ValueError, ArithmeticError) as exc:
            raise BadValue(f"row {number} has a value that does not fit its column: {exc}") from exc
    return batch
