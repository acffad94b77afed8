"""The page an invitation mail links to: accept it signed in, or signed out with a password (a new
account's first one, or the existing account's), which also signs the person in; only the POST spends it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from control_plane.errors import BerthError, Unauthorized
from control_plane.services import identity, invitations
from control_plane.web import csrf, session
from control_plane.web.dashboard.access import TENANT_COOKIE, sentence
from control_plane.web.pages import client_of, ctx_of, form_text, message, page
from control_plane.web.render import see_other
from control_plane.web.resources import web_of

router = APIRouter(include_in_schema=False)
PATH = "/invitations/accept"
YEAR = 365 * 24 * 3600


@router.get(PATH)
async def join_page(request: Request, token: str = "") -> Response:
    web = web_of(request)
    found = await session.current(request, web)
    return page(request, web, "join.html", token=token[:200], error=None,
                signed_in_as=found.email if found else None)


@router.post(PATH)
async def join(request: Request) -> Response:
    web, form = web_of(request), await request.form()
    csrf.check(request, web, form.get(csrf.FIELD))
    found = await session.current(request, web)
    token, password = form_text(form, "token"), form_text(form, "password")
    ctx, request_id = ctx_of(request), getattr(request.state, "request_id", None)
    try:
        accepted = await invitations.accept(ctx, token, password=None if found else password,
                                            request_id=request_id)
    except BerthError as exc:
        return page(request, web, "join.html", exc.status, token=token, error=sentence(exc.message),
                    signed_in_as=found.email if found else None)
    if found is not None and found.user_id != accepted.user_id:
        return message(request, web, "Invitation accepted",
                       f"{accepted.email} joined the team; sign in as that address to work in it.")
    response = see_other("/app")
    session.set_cookie(response, web, TENANT_COOKIE, str(accepted.tenant_id), YEAR)
    if found is None:
        try:
            attempt = identity.Attempt(accepted.email, client_of(request), request_id)
            await identity.verify(ctx, attempt, password, tenant_id=accepted.tenant_id)
        except Unauthorized:  # an existing account and not its password: joined, but not signed in
            return message(request, web, "Invitation accepted", "You joined the team. Sign in to continue.")
        await session.sign_in(request, response, web, accepted.user_id)
    return response
