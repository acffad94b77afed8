"""Sign-up in the browser: the same ``identity.signup`` as ``POST /v1/signup``, then a fresh session."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from control_plane.errors import BerthError
from control_plane.services import identity
from control_plane.web import csrf, session
from control_plane.web.dashboard.access import sentence, show
from control_plane.web.pages import ctx_of, form_text
from control_plane.web.resources import web_of

router = APIRouter(include_in_schema=False)


@router.get("/signup")
async def signup_page(request: Request) -> Response:
    return show(request, web_of(request), "app/signup.html", error=None, email="", account="")


@router.post("/signup")
async def signup(request: Request) -> Response:
    web, form = web_of(request), await request.form()
    email, account = form_text(form, "email"), form_text(form, "account")
    try:
        csrf.check(request, web, form.get(csrf.FIELD))
        made = await identity.signup(ctx_of(request), email, form_text(form, "password"), account or email,
                                     request_id=getattr(request.state, "request_id", None))
    except BerthError as exc:
        return show(request, web, "app/signup.html", exc.status, error=sentence(exc.message), email=email,
                    account=account)
    response = show(request, web, "app/welcome.html", 201, email=made.email, key=made.api_key)
    await session.sign_in(request, response, web, made.user_id)
    return response
