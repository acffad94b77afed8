"""`berth endpoints`: every tenant's MCP endpoints, found by id or slug."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from uuid import UUID

import typer

from cli.commands.imports import file_chunks, import_command
from cli.context import Operator
from cli.operate import confirm, run
from cli.output import emit, emit_one
from control_plane import operator
from control_plane.imports.spool import spool_dir
from control_plane.services import endpoint_settings, endpoints
from control_plane.services import from_file as from_file_service
from control_plane.services.from_file import NewEndpoint
from control_plane.services.imports import Upload

app = typer.Typer(help="Tenant endpoints and their databases.", no_args_is_help=True)
ALL_COLUMNS = ("id", "tenant_id", "slug", "name", "plan", "status", "created_at")
TENANT_COLUMNS = ("id", "slug", "name", "plan", "status", "calls_this_month", "created_at")
JSON = typer.Option(False, "--json", help="Print JSON.")
ENDPOINT = typer.Argument(..., help="Endpoint id or slug.")


@app.command("list")
def list_command(
    ctx: typer.Context,
    tenant: UUID = typer.Option(None, "--tenant", help="Only this tenant's (with this month's calls)."),
    as_json: bool = JSON,
) -> None:
    """Live endpoints, oldest first."""

    async def work(op: Operator) -> list[dict[str, object]]:
        if tenant is None:
            return await operator.list_endpoints(op.worker)
        return [asdict(e) for e in await endpoints.list_endpoints(op.services, op.caller(tenant))]

    emit(run(ctx, work), TENANT_COLUMNS if tenant else ALL_COLUMNS, as_json=as_json, title="endpoints")


@app.command("show")
def show_command(ctx: typer.Context, endpoint: str = ENDPOINT, as_json: bool = JSON) -> None:
    """One endpoint: status, failure reason, MCP URL, calls this month."""

    async def work(op: Operator) -> dict[str, object]:
        found = await operator.find_endpoint(op.worker, endpoint)
        shown = asdict(await endpoints.get(op.services, op.caller(found.tenant_id), found.id))
        return {"tenant_id": found.tenant_id, **shown}

    emit_one(run(ctx, work), as_json=as_json)


@app.command("create")
def create_command(
    ctx: typer.Context,
    name: str,
    tenant: UUID = typer.Option(..., "--tenant", help="The owning tenant."),
    plan: str = typer.Option(None, "--plan", help="free, pro or scale (default free)."),
    from_file: Path = typer.Option(None, "--from-file", exists=True, dir_okay=False, readable=True,
                                   help="Load this file into it once it is ready (its first import)."),
    table: str = typer.Option(None, "--table", help="With --from-file: its table (default: the file name)."),
    as_json: bool = JSON,
) -> None:
    """A new endpoint; a provision job creates its database (see `berth jobs list`), then an import job
    loads --from-file into it (a failed import leaves the endpoint ready and empty)."""

    async def work(op: Operator) -> dict[str, object]:
        caller = op.caller(tenant)
        if from_file is None:
            return asdict(await endpoints.create(op.services, caller, name, plan))
        spooled = await from_file_service.receive(op.services, caller, file_chunks(from_file),
                                                  spool_dir=spool_dir(op.settings.data_dir))
        upload = Upload(filename=from_file.name, table=table)
        made = await from_file_service.create(op.services, caller, NewEndpoint(name, plan), upload, spooled)
        return {**asdict(made.endpoint), "import_id": made.first_import.id,
                "import_state": made.first_import.state}

    emit_one(run(ctx, work), as_json=as_json)


@app.command("delete")
def delete_command(
    ctx: typer.Context,
    endpoint: str = ENDPOINT,
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    as_json: bool = JSON,
) -> None:
    """Its tokens stop working now; a job drops its database."""
    confirm(f"Delete endpoint {endpoint} and its database?", yes)

    async def work(op: Operator) -> dict[str, object]:
        found = await operator.find_endpoint(op.worker, endpoint)
        return asdict(await endpoints.delete(op.services, op.caller(found.tenant_id), found.id))

    emit_one(run(ctx, work), as_json=as_json)


@app.command("set")
def set_command(
    ctx: typer.Context,
    endpoint: str = ENDPOINT,
    allow_writes: bool = typer.Option(None, "--allow-writes/--no-allow-writes",
                                      help="Write tools for tokens with the mcp:write scope."),
    public_docs: bool = typer.Option(None, "--public-docs/--no-public-docs",
                                     help="llms.txt and manifest.json without a token."),
    tool_cap: int = typer.Option(None, "--tool-cap", min=endpoint_settings.MIN_CAP,
                                 max=endpoint_settings.MAX_CAP,
                                 help="How many tables (largest first) get generated tools."),
    as_json: bool = JSON,
) -> None:
    """Change an endpoint's settings; the ones not given keep their values. Every gateway sees it at once."""

    async def work(op: Operator) -> dict[str, object]:
        found = await operator.find_endpoint(op.worker, endpoint)
        caller = op.caller(found.tenant_id)
        await endpoint_settings.change(op.services, caller, found.id, allow_writes=allow_writes,
                                       public_docs=public_docs, tool_cap=tool_cap)
        return asdict(await endpoints.get(op.services, caller, found.id))

    emit_one(run(ctx, work), as_json=as_json)


app.command("import")(import_command)
