"""`berth keys`: re-seal every connection string under the newest seal key."""

from __future__ import annotations

import typer

from cli.context import Operator
from cli.operate import progress, run
from cli.output import emit_one
from control_plane.keys import count_stale, rotate

app = typer.Typer(help="Seal keys that protect endpoint connection strings.", no_args_is_help=True)


@app.command("rotate")
def rotate_command(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would be re-sealed; change nothing."),
) -> None:
    """Re-seal under the newest key in BERTH_SEAL_KEYS (interrupt any time; run again to resume)."""

    async def work(op: Operator) -> dict[str, object]:
        async with op.worker.acquire() as conn:
            stale = await count_stale(conn, op.sealer)
        if dry_run:
            return {"key_id": op.sealer.newest_key_id, "would_reseal": stale}
        with progress("re-sealing connection strings", stale) as advance:
            report = await rotate(op.worker, op.sealer, advance)
        return {"key_id": op.sealer.newest_key_id, "resealed": report.resealed, "remaining": report.remaining}

    emit_one(run(ctx, work), as_json=as_json)
