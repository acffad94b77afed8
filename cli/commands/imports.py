"""`berth endpoints import`: a file into an endpoint through the import path, with a progress bar.

The file is spooled through the same service call as the API's upload; the
worker (``berth dev`` or ``berth serve worker``) loads it while the bar
follows the import's bytes and rows. Ctrl-C only stops watching.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from cli.context import Operator
from cli.operate import fail, run
from cli.output import emit, emit_one
from control_plane import operator
from control_plane.errors import Unavailable
from control_plane.imports.spool import spool_dir
from control_plane.imports.store import Import, State
from control_plane.services import imports
from control_plane.services.imports import Upload

CHUNK = 1024 * 1024
POLL_SECONDS = 0.2
COLUMNS = ("table", "column", "type", "source")


async def file_chunks(path: Path, advance: Callable[[int], None] = lambda _: None) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK):
            advance(len(chunk))
            yield chunk
    finally:
        handle.close()


async def _follow(op: Operator, found: operator.EndpointRef, made: Import, bar: Progress, task: TaskID,
                  timeout: float) -> Import:
    caller = op.caller(found.tenant_id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    current = made
    while current.state not in (State.DONE, State.FAILED):
        if loop.time() > deadline:
            raise Unavailable(f"import {made.id} is still {current.state}: it loads when a worker runs "
                              "(berth dev or berth serve worker)")
        await asyncio.sleep(POLL_SECONDS)
        current = await imports.get(op.services, caller, found.id, made.id)
        bar.update(task, completed=current.bytes_done,
                   description=f"loading ({current.rows_done:,} rows)")
    return current


def import_command(
    ctx: typer.Context,
    endpoint: str = typer.Argument(..., help="Endpoint id or slug."),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="The file to load."),
    table: str = typer.Option(None, "--table", help="Table name (default: the file's name)."),
    mode: str = typer.Option("create", "--mode", help="create, replace or append."),
    fmt: str = typer.Option(None, "--format",
                            help="csv, tsv, json, ndjson, xlsx, parquet, sql or markdown (default: from the "
                                 "extension)."),
    timeout: float = typer.Option(600.0, "--timeout", help="Seconds to wait for the worker."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Load FILE into a table of the endpoint's database; prints the columns and their inferred types."""

    async def work(op: Operator) -> Import:
        found = await operator.find_endpoint(op.worker, endpoint)
        upload = Upload(format=fmt, filename=file.name, table=table, mode=mode)
        size = (await asyncio.to_thread(file.stat)).st_size
        columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
        with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("uploading", total=size)
            made = await imports.start(op.services, op.caller(found.tenant_id), found.id, upload,
                                       file_chunks(file, lambda n: bar.advance(task, n)),
                                       spool_dir=spool_dir(op.settings.data_dir))
            bar.update(task, completed=0, description="waiting for the worker")
            return await _follow(op, found, made, bar, task, timeout)

    done = run(ctx, work)
    _report(done, as_json)


def _report(done: Import, as_json: bool) -> None:
    summary: dict[str, Any] = {"id": done.id, "state": done.state, "format": done.format, "mode": done.mode,
                               "bytes": done.bytes_total, "rows": done.rows_done}
    if done.state == State.FAILED:
        first = done.errors[0] if done.errors else {}
        where = f"line {first['line']}: " if first.get("line") else ""
        fail(f"import {done.id} failed: {where}{first.get('message', 'unknown error')}")
    if as_json:
        emit_one({**summary, "tables": done.tables}, as_json=True)
        return
    emit_one(summary, as_json=False)
    rows = [{"table": t["name"], **c} for t in done.tables for c in t["columns"]]
    emit(rows, COLUMNS, as_json=False, title="columns")
