"""`berth tenants`: list, inspect, create and delete tenant accounts, and set their plan."""

from __future__ import annotations

import asyncio
import secrets
import sys
from dataclasses import asdict
from uuid import UUID

import typer
from rich.progress import Progress

from cli.context import Operator
from cli.operate import confirm, fail, run
from cli.output import emit, emit_one
from control_plane import operator
from control_plane.catalog.jobs import FINISHED
from control_plane.catalog.jobs import operator as jobs
from control_plane.plans import PlanName
from control_plane.services import accounts, api_keys, identity

app = typer.Typer(help="Tenant accounts.", no_args_is_help=True)
keys = typer.Typer(help="A tenant's control-plane API keys.", no_args_is_help=True)
app.add_typer(keys, name="keys")
COLUMNS = ("id", "name", "status", "plan", "endpoints", "members", "created_at")
JSON = typer.Option(False, "--json", help="Print JSON.")


@app.command("list")
def list_command(ctx: typer.Context, as_json: bool = JSON) -> None:
    """Every tenant with its live endpoint and member counts."""

    async def work(op: Operator) -> list[dict[str, object]]:
        return [asdict(t) for t in await operator.list_tenants(op.worker)]

    emit(run(ctx, work), COLUMNS, as_json=as_json, title="tenants")


@app.command("show")
def show_command(ctx: typer.Context, tenant_id: UUID, as_json: bool = JSON) -> None:
    """One tenant."""

    async def work(op: Operator) -> dict[str, object]:
        return asdict(await operator.get_tenant(op.worker, tenant_id))

    emit_one(run(ctx, work), as_json=as_json)


@app.command("set-plan")
def set_plan_command(ctx: typer.Context, tenant_id: UUID, plan: PlanName, as_json: bool = JSON) -> None:
    """The tenant's plan: its endpoints move to it, and new ones may ask for no more."""

    async def work(op: Operator) -> dict[str, object]:
        return asdict(await operator.set_plan(op.worker, op.redis, tenant_id, plan, op.actor))

    emit_one(run(ctx, work), as_json=as_json)


def _password(from_stdin: bool) -> tuple[str, bool]:
    """The owner's password and whether Berth generated it (then it is printed, once)."""
    if not from_stdin:
        return secrets.token_urlsafe(18), True
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        fail("--password-stdin: no password on standard input")
    return password, False


@app.command("create")
def create_command(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name", help="The tenant's display name."),
    email: str = typer.Option(..., "--email", help="The owner's email (their login)."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
    as_json: bool = JSON,
) -> None:
    """A tenant, its owner and a default API key; a generated password and the key are shown only now."""
    password, generated = _password(password_stdin)

    async def work(op: Operator) -> dict[str, object]:
        made = await identity.signup(op.services, email, password, name)
        shown = {"tenant_id": made.tenant_id, "name": made.tenant_name, "owner_email": made.email,
                 "api_key": made.api_key.key}
        return {**shown, "password": password} if generated else shown

    emit_one(run(ctx, work), as_json=as_json)
    if not as_json:
        typer.echo("These secrets are not stored in readable form and will not be shown again.", err=True)


async def _watch(op: Operator, job_id: int, every: float = 0.5) -> dict[str, object]:
    """Follow a deletion job's progress (``removed`` of ``total``) until it is done or dead."""
    with Progress(transient=True) as bar:
        task = bar.add_task("removing databases", total=None)
        while True:
            job = await jobs.show(op.worker, job_id)
            result = job.result or {}
            bar.update(task, total=result.get("total"), completed=result.get("removed", 0))
            if job.status in FINISHED:
                return {"status": job.status, "databases_removed": result.get("removed")}
            await asyncio.sleep(every)


@app.command("delete")
def delete_command(
    ctx: typer.Context,
    tenant_id: UUID,
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    wait: bool = typer.Option(False, "--wait", help="Show the job's progress until it ends (Ctrl-C stops "
                              "watching; the worker carries on)."),
    as_json: bool = JSON,
) -> None:
    """Stop everything of the tenant now; a job drops its databases and erases the account."""
    confirm(f"Delete tenant {tenant_id}, all its endpoints and their databases?", yes)

    async def work(op: Operator) -> dict[str, object]:
        await operator.get_tenant(op.worker, tenant_id)
        job_id = await accounts.delete_account(op.services, op.caller(tenant_id))
        outcome: dict[str, object] = {"tenant_id": tenant_id, "job_id": job_id}
        if wait:
            outcome.update(await _watch(op, job_id))
        return outcome

    done = run(ctx, work)
    emit_one(done, as_json=as_json)
    if not as_json:
        typer.echo(f"follow it with: berth jobs show {done['job_id']}", err=True)


@keys.command("create")
def keys_create_command(
    ctx: typer.Context,
    tenant_id: UUID,
    name: str = typer.Option("operator key", "--name", help="A label for the key."),
    as_json: bool = JSON,
) -> None:
    """A new bth_ API key for the tenant (say, when the first one was lost); shown only now."""

    async def work(op: Operator) -> dict[str, object]:
        made = await api_keys.create(op.services, op.caller(tenant_id), name)
        return {"tenant_id": tenant_id, "id": made.id, "name": made.name, "api_key": made.key}

    emit_one(run(ctx, work), as_json=as_json)
    if not as_json:
        typer.echo("The key is not stored in readable form and will not be shown again.", err=True)
