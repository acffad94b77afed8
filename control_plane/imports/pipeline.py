"""One import from spool file to tables: scan each table, settle its columns, COPY it in batches.

Scans run before the endpoint's database is touched. The load is one
transaction as the endpoint's owner; reading and converting a batch runs in a
thread so the event loop (the gateway's too, in ``berth dev``) stays free.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

import asyncpg

from control_plane.imports import loader
from control_plane.imports.converters import Convert, converter
from control_plane.imports.formats.base import Row, Shape, TableSource
from control_plane.imports.inference import resolve
from control_plane.imports.loader import Column, Target
from control_plane.imports.names import column_names
from control_plane.imports.problems import BadImport
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


async def plan(sources: list[tuple[str, TableSource]], mode: Mode) -> list[Planned]:
    """Scan every table (in a thread) and settle its columns and types."""
    planned = []
    for table, source in sources:
        shape = await asyncio.to_thread(source.scan)
        names = column_names(shape.headers)
        types = shape.declared or [resolve(stats) for stats in shape.stats]
        declared = shape.declared is not None
        described = zip(names, types, shape.headers, shape.stats, strict=True)
        columns = [Column(name, kind, header, stats, declared) for name, kind, header, stats in described]
        planned.append(Planned(source, shape, Target(table, mode, columns)))
    return planned


async def load(conn: asyncpg.Connection, planned: list[Planned], import_id: str, report: Report) -> Loaded:
    """Everything in one transaction; nothing is left behind when any part fails."""
    done = await _already_loaded(conn, planned, import_id)
    if done is not None:
        return done
    tables, total = [], 0
    async with conn.transaction():
        for item in planned:
            into, types = await loader.prepare(conn, item.target)
            converts = [_as_is if item.shape.declared else converter(t) for t in types]
            batches = _batches(item.source, item.shape, converts, report, total)
            rows = await loader.copy(conn, into, [c.name for c in item.target.columns], batches)
            await loader.finish(conn, item.target, into)
            await loader.mark(conn, item.target.table, import_id, rows)
            total += rows
            tables.append(_described(item.target, types, rows))
    return Loaded(tables, total)


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
            raise BadImport(f"row {number} has a value that does not fit its column: {exc}",
                            code="bad_value") from exc
    return batch
