"""/v1/oauth/grants: the tenant's connected apps (OAuth grants); revoking one stops its tokens at once."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from control_plane.api.deps import Ctx, Who
from control_plane.api.openapi import AUTH, QUERY, responses
from control_plane.errors import NotFound
from control_plane.oauth import grants

router = APIRouter(prefix="/oauth/grants", tags=["oauth"])


class GrantOut(BaseModel):
    id: UUID
    endpoint_id: UUID
    slug: str
    client_id: str
    client_name: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_why: str | None


@router.get("", response_model=list[GrantOut], operation_id="listOauthGrants",
            summary="List the apps connected to the tenant's endpoints through OAuth",
            responses=responses(*QUERY, *AUTH))
async def list_grants(ctx: Ctx, caller: Who, include_revoked: bool = False) -> list[grants.GrantInfo]:
    return await grants.list_grants(ctx, caller, include_revoked=include_revoked)


@router.delete("/{grant_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="revokeOauthGrant",
               summary="Disconnect an app: its access and refresh tokens stop working on every gateway",
               responses=responses(*QUERY, *AUTH, NotFound))
async def revoke(grant_id: UUID, ctx: Ctx, caller: Who) -> Response:
    await grants.revoke(ctx, caller, grant_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
