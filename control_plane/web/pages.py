"""Sign-in pages: password, magic link (ask, confirm, use), sign-out, and the stylesheet."""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib import resources
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Request
from starlette.responses import Response

from control_plane.errors import BerthError, Unauthorized
from control_plane.mail.sender import Mail, Mailer
from control_plane.services import identity, magic_links
from control_plane.services.context import Context
from control_plane.web import csrf, session
from control_plane.web.render import html, see_other
from control_plane.web.resources import Web, web_of

router = APIRouter(include_in_schema=False)
log = logging.getLogger("berth.web")
SENT = ("If an account exists for that address, a sign-in link is on its way. "
        "It works once, for 15 minutes.")


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def form_text(form: object, name: str) -> str:
    value = form.get(name) if hasattr(form, "get") else None
    return value if isinstance(value, str) else ""


def page(request: Request, web: Web, name: str, status: int = 200, *, session_value: str | None = None,
         form_targets: tuple[str, ...] = (), **values: object) -> Response:
    """A page whose forms carry this browser's CSRF token."""
    token = csrf.token(request, web, session_value)
    response = html(web.templates, name, {"csrf_token": token, **values}, status=status,
                    form_targets=form_targets)
    csrf.remember(request, response, web)
    return response


def message(request: Request, web: Web, title: str, text: str, status: int = 200) -> Response:
    return page(request, web, "message.html", status, title=title, message=text)


def magic_link_for(web: Web, next_path: str) -> Callable[[str], str]:
    base = web.settings.base_url

    def link(token: str) -> str:
        return f"{base}/login/magic?token={token}&next={quote(next_path, safe='')}"

    return link


async def send_quietly(mailer: Mailer, mail: Mail) -> None:
    """Background delivery: a failure is logged (without the link), never shown to the asker."""
    try:
        await mailer.send(mail)
    except BerthError:
        log.warning("a sign-in link could not be mailed")


async def ask_for_link(request: Request, web: Web, email: str, next_path: str,
                       tasks: BackgroundTasks) -> None:
    """The same for every address: the mail, if any, goes out after the answer."""
    mail = await magic_links.prepare(ctx_of(request), email, magic_link_for(web, next_path))
    if mail is not None:
        tasks.add_task(send_quietly, web.mailer, mail)


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:  # noqa: A002 - the query name
    web = web_of(request)
    found = await session.current(request, web)
    return page(request, web, "login.html", next=session.safe_next(next), error=None,
                signed_in_as=found.email if found else None)


@router.post("/login")
async def login_submit(request: Request) -> Response:
    web, form = web_of(request), await request.form()
    csrf.check(request, web, form.get(csrf.FIELD))
    next_path = session.safe_next(form_text(form, "next"))
    attempt = identity.Attempt(form_text(form, "email"), client_of(request), None)
    try:
        user_id, _tenant = await identity.verify(ctx_of(request), attempt, form_text(form, "password"))
    except Unauthorized:
        return page(request, web, "login.html", 401, next=next_path, signed_in_as=None,
                    error="Wrong email or password.")
    response = see_other(next_path)
    await session.sign_in(request, response, web, user_id)
    return response


@router.post("/login/magic-link")
async def magic_link_form(request: Request, tasks: BackgroundTasks) -> Response:
    web, form = web_of(request), await request.form()
    csrf.check(request, web, form.get(csrf.FIELD))
    next_path = session.safe_next(form_text(form, "next"))
    await ask_for_link(request, web, form_text(form, "email"), next_path, tasks)
    return message(request, web, "Check your mail", SENT)


@router.get("/login/magic")
async def magic_confirm(request: Request, token: str = "", next: str | None = None) -> Response:  # noqa: A002
    """A page, not the sign-in itself: mail scanners that open links do not use them up."""
    web = web_of(request)
    return page(request, web, "magic_confirm.html", token=token, next=session.safe_next(next))


@router.post("/login/magic")
async def magic_use(request: Request) -> Response:
    web, form = web_of(request), await request.form()
    csrf.check(request, web, form.get(csrf.FIELD))
    try:
        user_id = await magic_links.consume(ctx_of(request), form_text(form, "token"))
        attempt = identity.Attempt("", client_of(request), None)
        await identity.record_success(ctx_of(request), user_id, attempt, method="magic_link")
    except Unauthorized as exc:
        return message(request, web, "This link cannot be used", exc.message, 401)
    response = see_other(session.safe_next(form_text(form, "next")))
    await session.sign_in(request, response, web, user_id)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    web, form = web_of(request), await request.form()
    csrf.check(request, web, form.get(csrf.FIELD))
    response = see_other("/login")
    await session.sign_out(request, response, web)
    return response


@router.get("/static/berth.css")
async def stylesheet() -> Response:
    css = (resources.files("control_plane.web") / "static" / "berth.css").read_bytes()
    return Response(css, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})
