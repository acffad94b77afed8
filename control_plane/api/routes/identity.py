"""POST /v1/signup and /v1/login: the only /v1 routes that take no credential."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from control_plane.api.deps import Ctx, RequestIdDep
from control_plane.api.openapi import BODY, responses
from control_plane.api.schemas import LoginIn, LoginOut, SignupIn, SignupOut
from control_plane.services import identity

router = APIRouter(tags=["identity"])


@router.post("/signup", status_code=status.HTTP_201_CREATED, response_model=SignupOut,
             operation_id="signUp", summary="Sign up: a tenant, its owner and a first API key",
             responses=responses(*BODY, "invalid_email", "weak_password", "invalid_name", "email_taken",
                                 "unavailable"))
async def signup(body: SignupIn, ctx: Ctx, request_id: RequestIdDep) -> dict[str, object]:
    made = await identity.signup(ctx, body.email, body.password, body.tenant_name, request_id=request_id)
    return {
        "tenant": {"id": made.tenant_id, "name": made.tenant_name, "plan": made.plan},
        "user": {"id": made.user_id, "email": made.email},
        "api_key": made.api_key,
    }


@router.post("/login", response_model=LoginOut, operation_id="logIn",
             summary="Log in with email and password for a short-lived JWT",
             responses=responses(*BODY, "invalid_credentials", "not_a_member", "tenant_inactive",
                                 "too_many_logins", "unavailable"))
async def login(body: LoginIn, ctx: Ctx, request: Request, request_id: RequestIdDep) -> identity.AccessToken:
    client = request.client.host if request.client else "unknown"
    attempt = identity.Attempt(body.email, client, request_id)
    return await identity.login(ctx, attempt, body.password, tenant_id=body.tenant_id)
