"""Sign-up in the browser, on the services of ``POST /v1/signup``: with mail, "check your email" and the
mailed link's page (the password chosen at sign-up finishes it); without mail, the account at once.
Either way the new owner lands on the welcome page with the first API key, signed in."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request
from starlette.responses import Response

from control_plane.errors import BerthError
from control_plane.services import identity, signups
from control_plane.web import csrf, session
from control_plane.web.dashboard.access import sentence, show
from control_plane.web.pages import client_of, ctx_of, form_text, send_quietly
from control_plane.web.resources import Web, web_of

router = APIRouter(include_in_schema=False)
CONFIRM = "/signup/confirm"


@router.get("/signup")
async def signup_page(request: Request) -> Response:
    return show(request, web_of(request), "app/signup.html", error=None, email="", account="")


@router.post("/signup")
async def signup(request: Request, tasks: BackgroundTasks) -> Response:
    web, form = web_of(request), await request.form()
    email, account = form_text(form, "email"), form_text(form, "account")
    ctx, password = ctx_of(request), form_text(form, "password")
    try:
        csrf.check(request, web, form.get(csrf.FIELD))
        if web.settings.sends_mail:
            mail = await signups.request(ctx, email, password, account or email, web.settings.base_url)
            if mail is not None:
                tasks.add_task(send_quietly, web.mailer, mail)
            return show(request, web, "app/check_mail.html", message=signups.CHECK_MAIL)
        made = await identity.signup(ctx, email, password, account or email,
                                     request_id=getattr(request.state, "request_id", None))
    except BerthError as exc:
        return show(request, web, "app/signup.html", exc.status, error=sentence(exc.message), email=email,
                    account=account)
    return await welcome(request, web, made)


@router.get(CONFIRM)
async def confirm_page(request: Request, token: str = "") -> Response:
    """A page, not the confirmation itself: mail scanners that open links do not use them up."""
    return show(request, web_of(request), "app/signup_confirm.html", token=token[:200], error=None)


@router.post(CONFIRM)
async def confirm(request: Request) -> Response:
    web, form = web_of(request), await request.form()
    token = form_text(form, "token")
    attempt = identity.Attempt("", client_of(request), getattr(request.state, "request_id", None))
    try:
        csrf.check(request, web, form.get(csrf.FIELD))
        made = await signups.confirm(ctx_of(request), token, form_text(form, "password"), attempt)
    except BerthError as exc:
        return show(request, web, "app/signup_confirm.html", exc.status, token=token[:200],
                    error=sentence(exc.message))
    return await welcome(request, web, made)


async def welcome(request: Request, web: Web, made: identity.SignedUp) -> Response:
    """The first API key, shown once, in a fresh session of the new owner."""
    response = show(request, web, "app/welcome.html", 201, email=made.email, key=made.api_key)
    await session.sign_in(request, response, web, made.user_id)
    return response
