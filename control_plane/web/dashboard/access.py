"""Every dashboard route goes through ``guarded``: a session, its tenant, CSRF on POSTs, errors as pages.

A visit without a session is sent to sign-in and back. A ``BerthError`` from a
service becomes a page with one plain sentence (the API's JSON error body, with
that sentence as its message, when the browser's script asked for JSON); another tenant's endpoint is the
same 404 as a missing one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import JSONResponse, Response

from control_plane.errors import BerthError, Forbidden, NotFound, body
from control_plane.services import identity
from control_plane.services.context import Caller, Context, transaction
from control_plane.services.web_sessions import Session
from control_plane.web import csrf, render, session
from control_plane.web.pages import ctx_of
from control_plane.web.resources import Web, web_of

# The dashboard's pages run their own small script (copy buttons, upload progress, polling).
SCRIPTS = "script-src 'self'; connect-src 'self'; "
# The tenant a person in several chose in the switcher; only a hint: membership is checked on every visit.
TENANT_COOKIE = "berth_tenant"


@dataclass(frozen=True)
class Visit:
    """One signed-in request: the app's parts, who is calling, and the form of a POST."""

    request: Request
    web: Web
    ctx: Context
    caller: Caller
    email: str
    form: FormData | None = None

    def text(self, name: str) -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else ""

    def check_csrf(self, submitted: str | None) -> None:
        """For a handler that reads its own form (``guarded(..., streamed=True)``): its token, checked."""
        csrf.check_token(self.request, self.web, submitted)

    def show(self, template: str, status: int = 200, **values: object) -> Response:
        return show(self.request, self.web, template, status, email=self.email, **values)


Handler = Callable[[Visit], Awaitable[Response]]


def show(request: Request, web: Web, template: str, status: int = 200, **values: object) -> Response:
    """A page with the CSRF token, allowed to run the dashboard's own script."""
    response = render.html(web.templates, template, {"csrf_token": csrf.token(request, web), **values},
                           status=status)
    csrf.remember(request, response, web)
    response.headers["Content-Security-Policy"] = render.policy().replace("default-src 'none'; ",
                                                                          "default-src 'none'; " + SCRIPTS)
    return response


def sentence(text: str) -> str:
    """A service's message as a sentence a person reads: capital first, full stop last."""
    text = text.strip() or "something went wrong"
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else f"{text}."


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def problem(request: Request, web: Web, exc: BerthError, email: str | None) -> Response:
    said = sentence(exc.message)
    if isinstance(exc, NotFound):
        said = f"{said} It may have been deleted, or it belongs to another account."
    if wants_json(request):
        shown = body(exc)
        shown["error"]["message"] = said  # the sentence the page would show, not the service's wording
        return JSONResponse(shown, status_code=exc.status, headers={"Cache-Control": "no-store"})
    title = "Not found" if isinstance(exc, NotFound) else "That did not work"
    return show(request, web, "app/problem.html", exc.status, title=title, message=said, email=email,
                back=request.headers.get("referer") or "/app")


def chosen_tenant(request: Request, web: Web) -> UUID | None:
    try:
        return UUID(request.cookies.get(session.cookie_name(web, TENANT_COOKIE), ""))
    except ValueError:
        return None


async def caller_for(ctx: Context, found: Session, request_id: str | None,
                     chosen: UUID | None = None) -> Caller:
    """The tenant the session's user acts in (the chosen one while a member of it, else the first);
    403 when the account is being deleted."""
    async with transaction(ctx, None) as conn:
        try:
            tenant, _role = await identity.active_membership(conn, found.user_id, chosen)
        except Forbidden:
            if chosen is None:
                raise
            tenant, _role = await identity.active_membership(conn, found.user_id, None)
    return Caller(tenant, f"user:{found.user_id}", request_id, found.user_id, found.started_at)


def _back_here(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return session.login_url(f"{request.url.path}{query}" if request.method == "GET" else "/app")


async def guarded(request: Request, handler: Handler, *, streamed: bool = False) -> Response:
    """Run ``handler`` for the signed-in user; POSTs must carry this browser's CSRF token.

    ``streamed``: the handler reads the POST's body itself (a file, as it arrives) and must pass the
    form's token to ``Visit.check_csrf`` before it changes anything; only the origin is checked here.
    """
    web = web_of(request)
    found = await session.current(request, web)
    if found is None:
        return render.see_other(_back_here(request))
    try:
        form = await request.form() if request.method == "POST" and not streamed else None
        if form is not None:
            csrf.check(request, web, form.get(csrf.FIELD))
        elif request.method == "POST":
            csrf.check_origin(request, web)
        caller = await caller_for(ctx_of(request), found, getattr(request.state, "request_id", None),
                                  chosen_tenant(request, web))
        return await handler(Visit(request, web, ctx_of(request), caller, found.email, form))
    except BerthError as exc:
        return problem(request, web, exc, found.email)
