"""`berth support request`: ask a tenant's owner for time-limited, read-only support access."""

from __future__ import annotations

from uuid import UUID

import typer

from cli.context import Operator
from cli.operate import run
from cli.output import emit_one
from control_plane.services import support

app = typer.Typer(help="Support access, only with the tenant owner's consent.", no_args_is_help=True)
JSON = typer.Option(False, "--json", help="Print JSON.")


@app.command("request")
def request_command(ctx: typer.Context, tenant_id: UUID,
                    reason: str = typer.Option(..., "--reason", help="Why; the owner reads it."),
                    as_json: bool = JSON) -> None:
    """Ask for access; the credential, printed once, opens the support path once the owner approves."""

    async def work(op: Operator) -> dict[str, object]:
        made = await support.request(op.worker, tenant_id, op.actor, reason,
                                     pepper=op.services.pepper, clock=op.services.clock)
        return {"id": str(made.request.id), "tenant_id": str(tenant_id), "status": made.request.status,
                "credential": made.credential}

    emit_one(run(ctx, work), as_json=as_json)
