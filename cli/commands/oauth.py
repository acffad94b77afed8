"""`berth oauth grants`: a tenant's connected apps (OAuth grants); revoking one stops its tokens at once."""

from __future__ import annotations

from dataclasses import asdict
from uuid import UUID

import typer

from cli.context import Operator
from cli.operate import confirm, run
from cli.output import emit, emit_one
from control_plane.oauth import grants

app = typer.Typer(help="OAuth: apps connected to endpoints.", no_args_is_help=True)
COLUMNS = ("id", "slug", "client_name", "scopes", "created_at", "last_used_at", "revoked_at", "revoked_why")
JSON = typer.Option(False, "--json", help="Print JSON.")
TENANT = typer.Argument(..., help="The tenant's id.")


@app.command("grants")
def grants_command(ctx: typer.Context, tenant: UUID = TENANT,
                   revoked: bool = typer.Option(False, "--revoked", help="Include revoked grants."),
                   as_json: bool = JSON) -> None:
    """The tenant's connected apps, oldest first."""

    async def work(op: Operator) -> list[dict[str, object]]:
        found = await grants.list_grants(op.services, op.caller(tenant), include_revoked=revoked)
        return [asdict(g) for g in found]

    emit(run(ctx, work), COLUMNS, as_json=as_json, title="oauth grants")


@app.command("revoke")
def revoke_command(ctx: typer.Context, tenant: UUID = TENANT,
                   grant_id: UUID = typer.Argument(..., help="The grant (from `berth oauth grants`)."),
                   yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
                   as_json: bool = JSON) -> None:
    """Disconnect an app: its access and refresh tokens stop working on every gateway at once."""
    confirm(f"Revoke grant {grant_id}?", yes)

    async def work(op: Operator) -> dict[str, object]:
        await grants.revoke(op.services, op.caller(tenant), grant_id)
        return {"tenant_id": tenant, "grant_id": grant_id, "revoked": True}

    emit_one(run(ctx, work), as_json=as_json)
