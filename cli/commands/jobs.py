"""`berth jobs`: the durable queue as the operator sees it."""

from __future__ import annotations

from dataclasses import asdict

import typer

from cli.context import Operator
from cli.operate import run
from cli.output import emit, emit_one
from control_plane.catalog.jobs import Status
from control_plane.catalog.jobs import operator as jobs

app = typer.Typer(help="The job queue: provisioning, deletions, reconcile, usage.", no_args_is_help=True)
COLUMNS = ("id", "kind", "status", "attempts", "run_at", "tenant_id", "last_error")
JSON = typer.Option(False, "--json", help="Print JSON.")


@app.command("list")
def list_command(
    ctx: typer.Context,
    status: Status = typer.Option(None, help="Only jobs in this state."),
    kind: str = typer.Option(None, help="provision, delete_endpoint, delete_account, reconcile, ..."),
    limit: int = typer.Option(50, min=1, max=500),
    as_json: bool = JSON,
) -> None:
    """Jobs, newest first."""

    async def work(op: Operator) -> list[dict[str, object]]:
        return [asdict(j) for j in await jobs.list_jobs(op.worker, status=status, kind=kind, limit=limit)]

    emit(run(ctx, work), COLUMNS, as_json=as_json, title="jobs")


@app.command("show")
def show_command(ctx: typer.Context, job_id: int, as_json: bool = JSON) -> None:
    """One job, with its result (an account deletion's progress is ``removed`` of ``total``)."""

    async def work(op: Operator) -> dict[str, object]:
        return asdict(await jobs.show(op.worker, job_id))

    emit_one(run(ctx, work), as_json=as_json)


@app.command("retry")
def retry_command(ctx: typer.Context, job_id: int, as_json: bool = JSON) -> None:
    """Put a dead job back in the queue, due now, its attempts reset."""

    async def work(op: Operator) -> dict[str, object]:
        return asdict(await jobs.retry(op.worker, job_id))

    emit_one(run(ctx, work), as_json=as_json)
