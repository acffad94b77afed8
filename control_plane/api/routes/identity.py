"""POST /v1/signup, /v1/signup/confirm and /v1/login: the /v1 routes that take no credential."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request, status
from fastapi.responses import JSONResponse
from starlette.responses import Response

from control_plane.api.deps import Ctx, RequestIdDep
from control_plane.api.openapi import BODY, responses
from control_plane.api.schemas import LoginIn, LoginOut, SignupConfirmIn, SignupIn, SignupMailedOut, SignupOut
from control_plane.errors import (
    AlreadyExists,
    EmailTaken,
    InvalidCredentials,
    InvalidEmail,
    InvalidName,
    InvalidSignupLink,
    NotAMember,
    TenantInactive,
    TooManyLogins,
    Unavailable,
    WeakPassword,
)
from control_plane.services import identity, signups
from control_plane.web.pages import client_of, send_quietly
from control_plane.web.resources import web_of

router = APIRouter(tags=["identity"])

MAILED: dict[int | str, dict[str, Any]] = {202: {"model": SignupMailedOut, "description": (
    "Berth sends mail: the same answer whether or not the address has an account. A new address gets a "
    "confirmation link (POST /v1/signup/confirm makes the account); an address with an account gets a "
    "note to its owner, and nothing changes.")}}


def signed_up(made: identity.SignedUp) -> dict[str, object]:
    return {
        "tenant": {"id": made.tenant_id, "name": made.tenant_name, "plan": made.plan},
        "user": {"id": made.user_id, "email": made.email},
        "api_key": made.api_key,
    }


@router.post("/signup", status_code=status.HTTP_201_CREATED, response_model=SignupOut,
             operation_id="signUp",
             summary="Sign up: mail a confirmation link, or (without mail) make the account at once",
             description=(
                 "With mail configured (BERTH_SMTP_HOST, or `berth dev`'s catcher) the answer is always "
                 "202 `check_your_email`. Without mail the tenant, its owner and a first API key are made "
                 "at once (201), and an address with an account is 409 `email_taken`."),
             responses={**responses(*BODY, InvalidEmail, WeakPassword, InvalidName, EmailTaken,
                                    Unavailable), **MAILED})
async def signup(body: SignupIn, ctx: Ctx, request: Request, request_id: RequestIdDep,
                 tasks: BackgroundTasks) -> Response | dict[str, object]:
    web = web_of(request)
    if web.settings.sends_mail:
        mail = await signups.request(ctx, body.email, body.password, body.tenant_name, web.settings.base_url)
        if mail is not None:
            tasks.add_task(send_quietly, web.mailer, mail)
        answer = SignupMailedOut(message=signups.CHECK_MAIL)
        return JSONResponse(answer.model_dump(), status_code=status.HTTP_202_ACCEPTED)
    made = await identity.signup(ctx, body.email, body.password, body.tenant_name, request_id=request_id)
    return signed_up(made)


@router.post("/signup/confirm", status_code=status.HTTP_201_CREATED, response_model=SignupOut,
             operation_id="confirmSignUp",
             summary="Confirm a sign-up with the mailed token and its password: the account, a first key",
             responses=responses(*BODY, InvalidSignupLink, InvalidCredentials, AlreadyExists,
                                 TooManyLogins, Unavailable))
async def confirm(body: SignupConfirmIn, ctx: Ctx, request: Request,
                  request_id: RequestIdDep) -> dict[str, object]:
    attempt = identity.Attempt("", client_of(request), request_id)
    return signed_up(await signups.confirm(ctx, body.token, body.password, attempt))


@router.post("/login", response_model=LoginOut, operation_id="logIn",
             summary="Log in with email and password for a short-lived JWT",
             responses=responses(*BODY, InvalidCredentials, NotAMember, TenantInactive,
                                 TooManyLogins, Unavailable))
async def login(body: LoginIn, ctx: Ctx, request: Request, request_id: RequestIdDep) -> identity.AccessToken:
    attempt = identity.Attempt(body.email, client_of(request), request_id)
    return await identity.login(ctx, attempt, body.password, tenant_id=body.tenant_id)
