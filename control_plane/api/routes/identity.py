"""POST /v1/signup and /v1/login: the only /v1 routes that take no credential."""

from __future__ import annotations

from fastapi import APIRouter, status

from control_plane.api.deps import Ctx, RequestIdDep
from control_plane.api.schemas import LoginIn, LoginOut, SignupIn, SignupOut
from control_plane.services import identity

router = APIRouter(tags=["identity"])


@router.post("/signup", status_code=status.HTTP_201_CREATED, response_model=SignupOut)
async def signup(body: SignupIn, ctx: Ctx, request_id: RequestIdDep) -> dict[str, object]:
    made = await identity.signup(ctx, body.email, body.password, body.tenant_name, request_id=request_id)
    return {
        "tenant": {"id": made.tenant_id, "name": made.tenant_name},
        "user": {"id": made.user_id, "email": made.email},
        "api_key": made.api_key,
    }


@router.post("/login", response_model=LoginOut)
async def login(body: LoginIn, ctx: Ctx) -> identity.AccessToken:
    return await identity.login(ctx, body.email, body.password, tenant_id=body.tenant_id)
