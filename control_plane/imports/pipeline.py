"""One import from spool file to tables: scan each table, settle its columns, COPY it in batches.

Scans run before the endpoint's database is written to. The load is one
transaction as the endpoint's owner; reading and converting a batch runs in a
thread so the event loop (the gateway's too, in ``berth dev``) stays free.
A file the scan found Postgres can read as written (``Shape.as_written``) is
sent to ``COPY`` as it is; else, when every value is spelled as Postgres reads
it, the cells are re-written as CSV for ``COPY``; else, or when ``COPY``
refuses either, each value is converted here and sent in binary.

A scan and a ``COPY`` of a large CSV take about as long as each other, so
``run`` overlaps them where it can (``_overlapped``): a source that can
foresee its shape (``Foresight``) has its file copied as written on the
foreseen types while the rest of the scan runs, and the copy is kept only
when the scan settles on exactly that table and that way of reading the
file; else it is rolled back and the load runs as above, on the scan's shape.
The endpoint is then as the plain path would have left it, errors included.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

import asyncpg

from control_plane.errors import BadImport, BadValue
from control_plane.imports import as_csv, loader
from control_plane.imports.converters import Convert, converter
from control_plane.imports.formats.base import AsWritten, Foresight, Row, Shape, TableSource
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


async def run(conn: asyncpg.Connection, sources: list[tuple[str, TableSource]], mode: Mode, import_id: str,
              report: Report, *, limits: PlanLimits) -> Loaded:
    """``plan`` then ``load``, the scan overlapped with the ``COPY`` where the source allows it."""
    planned: list[Planned] | None = None
    if len(sources) == 1 and mode is not Mode.APPEND and hasattr(sources[0][1], "foresee"):
        table, source = sources[0]
        if await loader.marked_rows(conn, table, import_id) is None:
            outcome = await _overlapped(conn, table, source, mode, import_id, report, limits)
            if isinstance(outcome, Loaded):
                return outcome
            planned = outcome
    if planned is None:
        planned = await plan(sources, mode, limits)
    return await load(conn, planned, import_id, report, limits=limits)


async def plan(sources: list[tuple[str, TableSource]], mode: Mode, limits: PlanLimits) -> list[Planned]:
    """Scan every table (in a thread) and settle its columns and types; more rows than the plan allows
    per import is a ``BadImport`` before the endpoint's database is touched."""
    planned: list[Planned] = []
    for table, source in sources:
        planned.append(_planned(table, source, await asyncio.to_thread(source.scan), mode))
        limits.check_rows(sum(p.shape.rows for p in planned))
    return planned


def _planned(table: str, source: TableSource, shape: Shape, mode: Mode) -> Planned:
    names = column_names(shape.headers)
    types = shape.declared or [resolve(stats) for stats in shape.stats]
    declared = shape.declared is not None
    described = zip(names, types, shape.headers, shape.stats, strict=True)
    columns = [Column(name, kind, header, stats, declared) for name, kind, header, stats in described]
    return Planned(source, shape, Target(table, mode, columns))


class _Discarded(Exception):
    """The overlapped copy is not kept; ``planned`` is the scan's plan."""

    def __init__(self, planned: list[Planned]) -> None:
        super().__init__("the foreseen shape was not the scan's")
        self.planned = planned


async def _overlapped(conn: asyncpg.Connection, table: str, source: Any, mode: Mode, import_id: str,
                      report: Report, limits: PlanLimits) -> Loaded | list[Planned] | None:
    """The load if the foreseen shape was the scan's, else the scan's plan with nothing of the copy left;
    None when the source foresees no file to copy as written."""
    sight: Foresight | None = await asyncio.to_thread(source.foresee)
    if sight is None or sight.shape.as_written is None:  # nothing to copy beside the scan
        return None
    guessed = _planned(table, source, sight.shape, mode)
    try:
        async with conn.transaction():
            return await _copy_while_scanning(conn, sight, guessed, import_id, report, limits)
    except _Discarded as discarded:
        return discarded.planned


async def _rest(sight: Foresight, guessed: Planned, limits: PlanLimits) -> list[Planned]:
    shape = await asyncio.to_thread(sight.rest)
    limits.check_rows(shape.rows)
    return [_planned(guessed.target.table, guessed.source, shape, guessed.target.mode)]


async def _copy_while_scanning(conn: asyncpg.Connection, sight: Foresight, guessed: Planned, import_id: str,
                               report: Report, limits: PlanLimits) -> Loaded:
    try:
        into, types = await loader.prepare(conn, guessed.target)
    except BadImport:  # a table in the way: the plain load says so, after the scan has had its say
        raise _Discarded(await _rest(sight, guessed, limits)) from None
    # The copy always runs to its end, even once the scan has failed or disagreed: aborting it from the
    # client (CopyFail) while the server was refusing the same rows left the connection waiting for good.
    copying = asyncio.ensure_future(_copy_foreseen(conn, guessed, into, report))
    try:
        planned = await _rest(sight, guessed, limits)
    except BaseException:
        await asyncio.gather(copying, return_exceptions=True)
        raise
    copied = await copying
    if not _same(guessed, planned[0]) or copied != planned[0].shape.rows:
        raise _Discarded(planned)
    target = planned[0].target
    await loader.finish(conn, target, into)
    await loader.mark(conn, target.table, import_id, copied)
    await limits.check(conn, copied)
    return Loaded([_described(target, types, copied)], copied)


async def _copy_foreseen(conn: asyncpg.Connection, guessed: Planned, into: str,
                         report: Report) -> int | None:
    """The rows ``COPY`` read from the file as written on the foreseen shape; None if refused."""
    shape, written = guessed.shape, guessed.shape.as_written
    assert written is not None
    columns = [c.name for c in guessed.target.columns]
    options = loader.as_written_options(written, shape.header, columns)
    chunks = _file_chunks(written, shape.rows, report, 0)
    try:
        return await loader.copy_rows(conn, into, columns, chunks, options)
    except loader.REFUSED:
        return None


def _same(guessed: Planned, planned: Planned) -> bool:
    """Whether the table made and the ``COPY`` of the file as written are those the scan's plan gives."""
    foreseen, written = guessed.shape.as_written, planned.shape.as_written
    if foreseen is None or written is None or guessed.shape.header != planned.shape.header:
        return False
    return ((foreseen.delimiter, foreseen.null) == (written.delimiter, written.null)
            and [(c.name, c.type, c.source) for c in guessed.target.columns]
            == [(c.name, c.type, c.source) for c in planned.target.columns])


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
        chunks = _file_chunks(shape.as_written, shape.rows, report, before, tell=item.source.bytes_read)
        if await loader.copy_text(conn, into, columns, shape.rows, chunks, options):
            return shape.rows
    if not shape.declared and all(s.copyable() for s in shape.stats):
        csv_chunks = _csv_chunks(item.source, shape, report, before)
        if await loader.copy_text(conn, into, columns, shape.rows, csv_chunks, as_csv.OPTIONS):
            return shape.rows
    converts = [_as_is if shape.declared else converter(t) for t in types]
    return await loader.copy(conn, into, columns, _batches(item.source, shape, converts, report, before))


async def _file_chunks(written: AsWritten, rows: int, report: Report, before: int, *,
                       tell: Callable[[], int] | None = None) -> AsyncIterator[bytes]:
    """The file's chunks for ``COPY``, with progress: ``tell`` says the file's bytes read (by default, the
    bytes sent: the chunks are the file's own)."""
    chunks, sent = written.chunks(), 0
    try:
        while chunk := await asyncio.to_thread(next, chunks, b""):
            yield chunk
            sent += len(chunk)
            read = sent if tell is None else tell()
            await report(read, before + rows * read // max(written.size, 1))
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
