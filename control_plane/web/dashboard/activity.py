"""Usage (calls per day against the quota, as SVG with the numbers beside it) and the audit log, paged."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from control_plane.errors import InvalidInput
from control_plane.services import audit, daily_usage, usage
from control_plane.web.dashboard.access import Visit, guarded
from control_plane.web.dashboard.chart import bars

router = APIRouter(include_in_schema=False)
PAGE = 50
FILTER_MAX = 200


@router.get("/app/usage")
async def usage_page(request: Request, month: str | None = None) -> Response:
    async def run(visit: Visit) -> Response:
        first, rows = await usage.report(visit.ctx, visit.caller, month or None)
        days = await daily_usage.per_day(visit.ctx, visit.caller, first, [r.endpoint_id for r in rows])
        charts = [(r, bars(days.calls[r.endpoint_id]), days.calls[r.endpoint_id]) for r in rows]
        return visit.show("app/usage.html", month=first, charts=charts)
    return await guarded(request, run)


def _filter(value: str | None) -> str | None:
    value = (value or "").strip()
    if len(value) > FILTER_MAX:
        raise InvalidInput(f"a filter can be at most {FILTER_MAX} characters")
    return value or None


@router.get("/app/audit")
async def audit_page(request: Request, action: str | None = None, actor: str | None = None,
                     before: str | None = None) -> Response:
    async def run(visit: Visit) -> Response:
        if before is not None and not before.isdigit():
            raise InvalidInput("that page link is broken; start again from the first page")
        rows = await audit.page(visit.ctx, visit.caller, limit=PAGE + 1,
                                before=int(before) if before else None, action=_filter(action),
                                actor=_filter(actor))
        more = rows[PAGE - 1].id if len(rows) > PAGE else None
        return visit.show("app/audit.html", rows=rows[:PAGE], action=action or "", actor=actor or "",
                          more=more, first_page=before is None)
    return await guarded(request, run)
