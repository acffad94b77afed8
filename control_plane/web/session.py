"""The browser session cookie: HttpOnly, SameSite=Lax, Secure and ``__Host-`` outside dev, rotated at sign-in.

The cookie holds a random value; the catalog keeps only its HMAC
(``services/web_sessions.py``). ``current`` reads it, ``sign_in`` replaces
whatever session the browser had with a fresh one, ``sign_out`` ends it.
"""

from __future__ import annotations

from urllib.parse import quote
from uuid import UUID

from fastapi import Request
from starlette.responses import Response

from control_plane.services import web_sessions
from control_plane.services.context import Context
from control_plane.web.resources import Web

NAME = "berth_session"


def cookie_name(web: Web, name: str = NAME) -> str:
    return f"__Host-{name}" if web.secure else name


def set_cookie(response: Response, web: Web, name: str, value: str, max_age: int) -> None:
    response.set_cookie(cookie_name(web, name), value, max_age=max_age, path="/", secure=web.secure,
                        httponly=True, samesite="lax")


def value_of(request: Request, web: Web) -> str | None:
    return request.cookies.get(cookie_name(web))


async def current(request: Request, web: Web) -> web_sessions.Session | None:
    value = value_of(request, web)
    if not value:
        return None
    ctx: Context = request.app.state.ctx
    return await web_sessions.find(ctx, value)


async def sign_in(request: Request, response: Response, web: Web, user_id: UUID) -> None:
    """A fresh session for ``user_id`` on ``response``; the browser's previous one ends (rotation)."""
    ctx: Context = request.app.state.ctx
    value = await web_sessions.start(ctx, user_id, web.session_ttl, replacing=value_of(request, web))
    set_cookie(response, web, NAME, value, int(web.session_ttl.total_seconds()))


async def sign_out(request: Request, response: Response, web: Web) -> None:
    value = value_of(request, web)
    if value:
        ctx: Context = request.app.state.ctx
        await web_sessions.end(ctx, value)
    response.delete_cookie(cookie_name(web), path="/", secure=web.secure, httponly=True, samesite="lax")


def login_url(next_path: str) -> str:
    return f"/login?next={quote(next_path, safe='')}"


def safe_next(value: str | None, default: str = "/login") -> str:
    """A local path to go on to after sign-in; anything else (another site, a scheme) is the default."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 2000:
        return default
    return value
