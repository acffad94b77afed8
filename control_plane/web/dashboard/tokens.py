"""An endpoint's agent tokens (issue, shown once; revoke; rotate) and its connected OAuth apps (revoke)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from control_plane.errors import InvalidInput
from control_plane.oauth import grants
from control_plane.services import endpoint_tokens, endpoints
from control_plane.web.dashboard.access import Visit, guarded
from control_plane.web.dashboard.endpoints import endpoint_view

router = APIRouter(include_in_schema=False)
EXPIRY_DAYS = {"never": None, "30": 30, "90": 90, "365": 365}


def _expires_in(visit: Visit) -> int | None:
    chosen = visit.text("expires") or "never"
    if chosen not in EXPIRY_DAYS:
        raise InvalidInput("choose when the token expires from the list")
    days = EXPIRY_DAYS[chosen]
    return days * 86400 if days else None


@router.post("/app/endpoints/{ref}/tokens")
async def issue(request: Request, ref: str) -> Response:
    async def run(visit: Visit) -> Response:
        scopes = ["mcp", "mcp:write"] if visit.text("write") == "yes" else ["mcp"]
        name = visit.text("name") or "agent"
        made = await endpoint_tokens.issue(visit.ctx, visit.caller, ref, name, scopes, _expires_in(visit))
        return await endpoint_view(visit, ref, 201, new_token=made)
    return await guarded(request, run)


@router.post("/app/endpoints/{ref}/tokens/{token_id}/revoke")
async def revoke(request: Request, ref: str, token_id: UUID) -> Response:
    async def run(visit: Visit) -> Response:
        await endpoint_tokens.revoke(visit.ctx, visit.caller, ref, token_id)
        return await endpoint_view(visit, ref, notice="Token revoked. Agents using it are refused now.")
    return await guarded(request, run)


@router.post("/app/endpoints/{ref}/tokens/{token_id}/rotate")
async def rotate(request: Request, ref: str, token_id: UUID) -> Response:
    async def run(visit: Visit) -> Response:
        made = await endpoint_tokens.rotate(visit.ctx, visit.caller, ref, token_id)
        return await endpoint_view(visit, ref, 201, new_token=made)
    return await guarded(request, run)


@router.post("/app/endpoints/{ref}/apps/{grant_id}/revoke")
async def disconnect(request: Request, ref: str, grant_id: UUID) -> Response:
    async def run(visit: Visit) -> Response:
        await endpoints.get(visit.ctx, visit.caller, ref)
        await grants.revoke(visit.ctx, visit.caller, grant_id)
        return await endpoint_view(visit, ref, notice="App disconnected. Its tokens stop working at once.")
    return await guarded(request, run)
