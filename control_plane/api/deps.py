"""Request dependencies: the service context from app state and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from control_plane.observability.context import note_caller
from control_plane.services import principals
from control_plane.services.context import Caller, Context

bearer_scheme = HTTPBearer(auto_error=False, description="A bth_ API key or a login JWT")


def context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def request_id(request: Request) -> str | None:
    found: str | None = getattr(request.state, "request_id", None)
    return found


async def caller(
    request: Request,
    ctx: Annotated[Context, Depends(context)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Caller:
    token = credentials.credentials if credentials else None
    found = await principals.resolve(ctx, token, request_id=request_id(request))
    note_caller(found.tenant_id)
    return found


Ctx = Annotated[Context, Depends(context)]
Who = Annotated[Caller, Depends(caller)]
RequestIdDep = Annotated[str | None, Depends(request_id)]
