"""/v1/shares: endpoints offered to another tenant, accepted or declined there, revoked by the offerer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from control_plane.api.deps import Ctx, Who
from control_plane.api.fields import EMAIL_PATTERN, EndpointRef, Safe, text
from control_plane.api.openapi import AUTH, BODY, QUERY, responses
from control_plane.api.schemas import Body, TokenCreated, TokenIn
from control_plane.catalog.tenancy import ShareStatus
from control_plane.errors import (
    AlreadyExists,
    EndpointNotLive,
    InvalidExpiry,
    InvalidName,
    InvalidScopes,
    NotFound,
)
from control_plane.services import sharing
from control_plane.services.endpoint_tokens import IssuedToken

router = APIRouter(prefix="/shares", tags=["sharing"])

Access = Literal["read", "read_write"]
UUID_PATTERN = "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
TenantRef = Annotated[str, text(min_length=3, max_length=320, pattern=f"^{UUID_PATTERN}$|{EMAIL_PATTERN}",
                                description="the tenant offered to: its id, or one of its owners' email"),
                      Safe]


class ShareIn(Body):
    endpoint: EndpointRef
    access: Access = "read"
    to: TenantRef


class ShareOut(BaseModel):
    id: UUID
    direction: Literal["outgoing", "incoming"]
    from_tenant_id: UUID
    from_tenant_name: str
    to_tenant_id: UUID
    endpoint_id: UUID
    endpoint_name: str
    access: Access
    status: ShareStatus
    offered_by: str
    offered_at: datetime
    decided_at: datetime | None
    revoked_at: datetime | None
    mcp_url: str | None = Field(description="where tokens issued under the share work, once accepted")


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ShareOut, operation_id="offerShare",
             summary="Offer one of the tenant's endpoints to another tenant",
             responses=responses(*BODY, *AUTH, NotFound, AlreadyExists))
async def offer(body: ShareIn, ctx: Ctx, caller: Who) -> sharing.Share:
    return await sharing.offer(ctx, caller, body.endpoint, body.to, access=body.access)


@router.get("", response_model=list[ShareOut], operation_id="listShares",
            summary="List shares offered by the tenant and to it, newest first", responses=responses(*AUTH))
async def list_shares(ctx: Ctx, caller: Who) -> list[sharing.Share]:
    return await sharing.list_shares(ctx, caller)


@router.post("/{share_id}/accept", response_model=ShareOut, operation_id="acceptShare",
             summary="Accept an endpoint offered to the tenant",
             responses=responses(*QUERY, *AUTH, NotFound))
async def accept(share_id: UUID, ctx: Ctx, caller: Who) -> sharing.Share:
    return await sharing.decide(ctx, caller, share_id, accept=True)


@router.post("/{share_id}/decline", response_model=ShareOut, operation_id="declineShare",
             summary="Decline an endpoint offered to the tenant",
             responses=responses(*QUERY, *AUTH, NotFound))
async def decline(share_id: UUID, ctx: Ctx, caller: Who) -> sharing.Share:
    return await sharing.decide(ctx, caller, share_id, accept=False)


@router.delete("/{share_id}", response_model=ShareOut, operation_id="revokeShare",
               summary="Revoke a share the tenant offered; its tokens stop at once",
               responses=responses(*QUERY, *AUTH, NotFound))
async def revoke(share_id: UUID, ctx: Ctx, caller: Who) -> sharing.Share:
    return await sharing.revoke(ctx, caller, share_id)


@router.post("/{share_id}/tokens", status_code=status.HTTP_201_CREATED, response_model=TokenCreated,
             operation_id="issueSharedToken", summary="Issue an agent token for an accepted shared endpoint",
             responses=responses(*BODY, *AUTH, InvalidName, InvalidScopes, InvalidExpiry,
                                 NotFound,
                                 EndpointNotLive))
async def issue_token(share_id: UUID, body: TokenIn, ctx: Ctx, caller: Who) -> IssuedToken:
    return await sharing.issue_token(ctx, caller, share_id, body.name, body.scopes, body.expires_in)


@router.delete("/{share_id}/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT,
               operation_id="revokeSharedToken", summary="Revoke a token issued for a shared endpoint",
               responses=responses(*QUERY, *AUTH, NotFound))
async def revoke_token(share_id: UUID, token_id: UUID, ctx: Ctx, caller: Who) -> Response:
    await sharing.revoke_token(ctx, caller, share_id, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
