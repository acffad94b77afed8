"""Endpoints other tenants offer this one: accepted or declined by an admin (services/sharing.py checks)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from control_plane.services import sharing
from control_plane.web.dashboard.access import Visit, guarded
from control_plane.web.render import see_other

router = APIRouter(include_in_schema=False)


@router.post("/app/shares/{share_id}/accept")
async def accept(request: Request, share_id: UUID) -> Response:
    async def run(visit: Visit) -> Response:
        await sharing.decide(visit.ctx, visit.caller, share_id, accept=True)
        return see_other("/app#shared")
    return await guarded(request, run)


@router.post("/app/shares/{share_id}/decline")
async def decline(request: Request, share_id: UUID) -> Response:
    async def run(visit: Visit) -> Response:
        await sharing.decide(visit.ctx, visit.caller, share_id, accept=False)
        return see_other("/app#shared")
    return await guarded(request, run)
