"""`berth audit tail`: the newest audit rows of every tenant or one, optionally followed live."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import typer

from cli.context import Operator
from cli.operate import run
from cli.output import emit, emit_one
from control_plane import operator

app = typer.Typer(no_args_is_help=True)
COLUMNS = ("id", "created_at", "tenant_id", "actor", "action", "target", "outcome")
POLL_SECONDS = 1.0
BATCH = 500


@app.callback()
def audit_group() -> None:
    """The audit log (a group, so `berth audit tail` keeps its name when more commands join)."""


def _stream(rows: Sequence[dict[str, Any]], as_json: bool) -> None:
    """Followed output is a stream: one JSON object or one plain line per row."""
    for row in rows:
        picked = {c: row[c] for c in COLUMNS}
        if as_json:
            emit_one(picked, as_json=True)
        else:
            typer.echo("  ".join("-" if v is None else str(v) for v in picked.values()))


async def _follow(op: Operator, tenant: UUID | None, last: int, as_json: bool, polls: int | None) -> None:
    done = 0
    try:
        while polls is None or done < polls:
            await asyncio.sleep(POLL_SECONDS)
            rows = await operator.audit_after(op.worker, tenant, last, BATCH)
            _stream(rows, as_json)
            last = rows[-1]["id"] if rows else last
            done += 1
    except asyncio.CancelledError:
        return  # Ctrl-C is how following ends; it is not a failure


@app.command("tail")
def tail_command(
    ctx: typer.Context,
    tenant: UUID = typer.Option(None, "--tenant", help="Only this tenant's rows."),
    limit: int = typer.Option(20, "--limit", min=1, max=BATCH, help="How many of the newest rows."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new rows until Ctrl-C."),
    polls: int = typer.Option(None, "--polls", min=1, hidden=True, help="Stop following after N polls."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (one object per line with --follow)."),
) -> None:
    """The newest audit rows, oldest first; with --follow, new rows as written (polled each second)."""

    async def work(op: Operator) -> list[dict[str, Any]]:
        rows = await operator.newest_audit(op.worker, tenant, limit)
        if not follow:
            return rows
        _stream(rows, as_json)
        await _follow(op, tenant, rows[-1]["id"] if rows else 0, as_json, polls)
        return []

    rows = run(ctx, work)
    if not follow:
        emit(rows, COLUMNS, as_json=as_json, title="audit")
