"""`berth status` and `berth reconcile`: the platform at a glance, and catalog and providers agreeing."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import timedelta

import typer

from cli.context import Operator
from cli.operate import progress, run
from cli.output import emit_one
from control_plane.catalog.jobs import operator as jobs
from control_plane.catalog.jobs.lease import utc_now
from control_plane.errors import ProviderError
from data_plane import heartbeat
from jobs.handlers.base import Resources
from jobs.handlers.quarantine import restore
from jobs.handlers.reconcile import reconcile, stuck_deletions


def status(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Catalog, Redis, provider, queue depth and dead jobs, and each gateway's open pools."""

    async def work(op: Operator) -> dict[str, object]:
        report: dict[str, object] = {"catalog": "ok" if await op.worker.fetchval("SELECT 1") else "?"}
        await op.redis.ping()
        report["redis"] = "ok"
        name = f"provider {op.provider.name}"
        try:
            report[name] = f"ok, {len(await op.provider.list_databases())} databases"
        except ProviderError as exc:
            report[name] = f"unreachable: {exc}"
        report.update({f"jobs {k}": v for k, v in asdict(await jobs.depth(op.worker)).items()})
        gateways = await heartbeat.read_all(op.redis)
        report["gateways"] = len(gateways)
        report["pools open"] = sum(int(str(g.get("pools", 0))) for g in gateways.values())
        report["gateways degraded"] = sum(1 for g in gateways.values() if g.get("degraded"))
        report["deletions stuck"] = "; ".join(await stuck_deletions(op.worker, utc_now())) or "none"
        return report

    emit_one(run(ctx, work), as_json=as_json)


def _resources(op: Operator) -> Resources:
    grace = timedelta(hours=op.settings.orphan_grace_hours)
    return Resources(op.worker, op.provider, op.sealer, op.redis, utc_now, orphan_grace=grace)


def reconcile_command(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be done; change nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """One reconcile pass now: orphans quarantined (dropped after the grace period), vanished databases
    failed, stuck provisioning and deletions retried; databases not labelled as ours are listed, untouched."""
    if ctx.invoked_subcommand is not None:
        return

    async def work(op: Operator) -> list[str]:
        with progress("reconciling", None):
            return await reconcile(_resources(op), dry_run=dry_run)

    said = run(ctx, work)
    if as_json:
        typer.echo(json.dumps({"dry_run": dry_run, "did": said}))
        return
    for sentence in said or ["nothing to do"]:
        typer.echo(sentence)


def restore_command(
    ctx: typer.Context, database: str = typer.Argument(..., help="The database's name."),
) -> None:
    """Undo a quarantine: the database's roles may connect again."""

    async def work(op: Operator) -> str:
        return await restore(_resources(op), database, actor=op.actor)

    typer.echo(run(ctx, work))


def register(app: typer.Typer) -> None:
    app.command("status")(status)
    group = typer.Typer(invoke_without_command=True, no_args_is_help=False)
    group.callback()(reconcile_command)
    group.command("restore")(restore_command)
    app.add_typer(group, name="reconcile")
