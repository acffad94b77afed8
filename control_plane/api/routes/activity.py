"""GET /v1/audit (the tenant's own rows, newest first) and GET /v1/usage (calls per endpoint)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from control_plane.api.deps import Ctx, Who
from control_plane.api.schemas import AuditPage, UsageOut
from control_plane.services import audit, usage

router = APIRouter(tags=["activity"])


@router.get("/audit", response_model=AuditPage)
async def audit_page(
    ctx: Ctx, caller: Who,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE)] = 50,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, object]:
    items = await audit.page(ctx, caller, limit=limit, before=before)
    return {"items": items, "next_before": items[-1].id if len(items) == limit else None}


@router.get("/usage", response_model=UsageOut)
async def usage_report(ctx: Ctx, caller: Who, month: str | None = None) -> dict[str, object]:
    first, rows = await usage.report(ctx, caller, month)
    return {"month": f"{first:%Y-%m}", "endpoints": rows}
