"""GET /v1/audit (the tenant's own rows, newest first) and GET /v1/usage (calls per endpoint)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from control_plane.api.deps import Ctx, Who
from control_plane.api.fields import INT64_MAX, Month
from control_plane.api.openapi import AUTH, QUERY, responses
from control_plane.api.schemas import AuditPage, UsageOut
from control_plane.services import audit, usage

router = APIRouter(tags=["activity"])


@router.get("/audit", response_model=AuditPage, operation_id="listAuditEvents",
            summary="Page through the tenant's audit log, newest first", responses=responses(*QUERY, *AUTH))
async def audit_page(
    ctx: Ctx, caller: Who,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE)] = 50,
    before: Annotated[int | None, Query(ge=1, le=INT64_MAX, description="next_before of a page")] = None,
) -> dict[str, object]:
    items = await audit.page(ctx, caller, limit=limit, before=before)
    return {"items": items, "next_before": items[-1].id if len(items) == limit else None}


@router.get("/usage", response_model=UsageOut, operation_id="getUsage",
            summary="Calls per endpoint in one month", responses=responses(*QUERY, *AUTH))
async def usage_report(
    ctx: Ctx, caller: Who,
    month: Annotated[Month | None, Query(description="YYYY-MM; this month when absent")] = None,
) -> dict[str, object]:
    first, rows = await usage.report(ctx, caller, month)
    return {"month": f"{first:%Y-%m}", "endpoints": rows}
