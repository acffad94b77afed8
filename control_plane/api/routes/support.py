"""Support access: the owner's side under /v1/support-requests, and the read-only support path /support/v1.

The support path takes only a ``bsup_`` credential (its own dependency, never
the /v1 caller), and /v1 never takes one: each kind of credential reaches one
side only. Every use of the support path is audited in the tenant's log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from control_plane.api.deps import Ctx, Who, request_id
from control_plane.api.openapi import AUTH, BODY, QUERY, responses
from control_plane.api.schemas import AuditPage, Body, EndpointOut
from control_plane.catalog.tenancy import SupportStatus
from control_plane.errors import (
    InvalidCredentials,
    InvalidDuration,
    MissingCredentials,
    NotFound,
    Unavailable,
)
from control_plane.services import audit, endpoints, support
from control_plane.services.context import Caller, Context

router = APIRouter(prefix="/support-requests", tags=["support"])
support_path = APIRouter(prefix="/support/v1", tags=["support path"])
support_scheme = HTTPBearer(auto_error=False, description="A bsup_ support credential the owner approved")
SUPPORT_AUTH = (MissingCredentials, InvalidCredentials, Unavailable)


class SupportRequestOut(BaseModel):
    id: UUID
    operator: str
    reason: str
    status: SupportStatus
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class ApproveIn(Body):
    hours: int = Field(ge=1, le=support.MAX_HOURS, description="how long the access lasts, 1 to 24 hours")


@router.get("", response_model=list[SupportRequestOut], operation_id="listSupportRequests",
            summary="List the operator's requests for support access, newest first",
            responses=responses(*AUTH))
async def list_requests(ctx: Ctx, caller: Who) -> list[support.SupportRequest]:
    return await support.list_requests(ctx, caller)


@router.post("/{request_id}/approve", response_model=SupportRequestOut, operation_id="approveSupportRequest",
             summary="Approve support access for at most 24 hours (owners)",
             responses=responses(*BODY, *AUTH, NotFound, InvalidDuration))
async def approve(request_id: UUID, body: ApproveIn, ctx: Ctx, caller: Who) -> support.SupportRequest:
    return await support.decide(ctx, caller, request_id, hours=body.hours)


@router.post("/{request_id}/refuse", response_model=SupportRequestOut, operation_id="refuseSupportRequest",
             summary="Refuse a request for support access (owners)",
             responses=responses(*QUERY, *AUTH, NotFound))
async def refuse(request_id: UUID, ctx: Ctx, caller: Who) -> support.SupportRequest:
    return await support.decide(ctx, caller, request_id, hours=None)


@router.delete("/{request_id}", response_model=SupportRequestOut, operation_id="revokeSupportAccess",
               summary="End approved support access at once (owners)",
               responses=responses(*QUERY, *AUTH, NotFound))
async def revoke(request_id: UUID, ctx: Ctx, caller: Who) -> support.SupportRequest:
    return await support.revoke(ctx, caller, request_id)


def _context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


async def support_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(support_scheme)],
) -> Caller:
    token = credentials.credentials if credentials else None
    return await support.resolve(_context(request), token, use=f"{request.method} {request.url.path}",
                                 request_id=request_id(request))


Support = Annotated[Caller, Depends(support_caller)]


@support_path.get("/endpoints", response_model=list[EndpointOut], operation_id="supportListEndpoints",
                  summary="Support: the tenant's live endpoints", responses=responses(*SUPPORT_AUTH))
async def support_endpoints(ctx: Ctx, caller: Support) -> list[endpoints.Endpoint]:
    return await endpoints.list_endpoints(ctx, caller)


@support_path.get("/audit", response_model=AuditPage, operation_id="supportListAuditEvents",
                  summary="Support: the tenant's audit log, newest first",
                  responses=responses(*QUERY, *SUPPORT_AUTH))
async def support_audit(ctx: Ctx, caller: Support,
                        limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE)] = 50) -> dict[str, object]:
    items = await audit.page(ctx, caller, limit=limit)
    return {"items": items, "next_before": items[-1].id if len(items) == limit else None}
