"""`berth usage`: calls per endpoint in a month, against each plan's monthly limit."""

from __future__ import annotations

from dataclasses import asdict
from uuid import UUID

import typer

from cli.context import Operator
from cli.operate import run
from cli.output import emit
from control_plane import operator
from control_plane.services import usage

app = typer.Typer(help="Calls per endpoint and month.", invoke_without_command=True)
COLUMNS = ("month", "tenant_id", "endpoint_id", "name", "plan", "calls", "monthly_limit")


async def _tenant_rows(op: Operator, tenant_id: UUID, month: str | None) -> list[dict[str, object]]:
    first, report = await usage.report(op.services, op.caller(tenant_id), month)
    return [{"month": f"{first:%Y-%m}", "tenant_id": tenant_id, **asdict(row)} for row in report]


@app.callback()
def usage_command(
    ctx: typer.Context,
    month: str = typer.Option(None, "--month", help="YYYY-MM (default: this month, UTC)."),
    tenant: UUID = typer.Option(None, "--tenant", help="Only this tenant's endpoints."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Calls per endpoint: the larger of the live counter and the flushed count."""

    async def work(op: Operator) -> list[dict[str, object]]:
        usage.parse_month(month, op.services.clock())  # a bad month fails even with no tenants
        if tenant is not None:
            await operator.get_tenant(op.worker, tenant)
        tenants = [tenant] if tenant else await operator.active_tenant_ids(op.worker)
        return [row for t in tenants for row in await _tenant_rows(op, t, month)]

    emit(run(ctx, work), COLUMNS, as_json=as_json, title="usage")
