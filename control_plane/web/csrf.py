"""CSRF protection for every form: a token bound to the browser and its session, and an Origin check.

Each browser gets a random ``berth_csrf`` cookie (HttpOnly, SameSite=Lax); a
form carries HMAC(key, cookie | session cookie), so a token from before
sign-in stops working after it. A POST is refused (403 ``csrf_failed``) when
its token does not match, or when ``Origin`` or ``Sec-Fetch-Site`` says it
came from another site. SameSite=Lax already keeps the session cookie off
cross-site POSTs; this holds without it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request
from starlette.responses import Response

from control_plane.errors import CsrfFailed
from control_plane.web import session
from control_plane.web.resources import Web

NAME = "berth_csrf"
FIELD = "csrf_token"
MAX_AGE = 7 * 86400


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _binding(request: Request, web: Web) -> str:
    """The browser's CSRF cookie, made (and remembered for the response) when it has none."""
    found = request.cookies.get(session.cookie_name(web, NAME)) or getattr(request.state, "csrf_new", None)
    if found:
        return str(found)
    fresh = secrets.token_urlsafe(24)
    request.state.csrf_new = fresh
    return fresh


def _mac(web: Web, binding: str, session_value: str | None) -> str:
    digest = hmac.new(web.csrf_key, f"{binding}|{session_value or ''}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token(request: Request, web: Web, session_value: str | None = None) -> str:
    """The token for this browser's forms; pass ``session_value`` right after a new session was set."""
    return _mac(web, _binding(request, web), session_value or session.value_of(request, web))


def remember(request: Request, response: Response, web: Web) -> None:
    """Set the CSRF cookie on ``response`` when this request made one."""
    fresh = getattr(request.state, "csrf_new", None)
    if fresh:
        session.set_cookie(response, web, NAME, fresh, MAX_AGE)


def check(request: Request, web: Web, submitted: object) -> None:
    """Refuse a POST from another site or without this browser's token."""
    check_origin(request, web)
    check_token(request, web, submitted)


def check_origin(request: Request, web: Web) -> None:
    """Refuse a POST whose ``Origin`` or ``Sec-Fetch-Site`` says it came from another site (no body read)."""
    origin = request.headers.get("origin")
    # Either header alone shows a cross-site form; the token check below catches a client that sends neither.
    if origin is not None and origin != _origin(web.settings.base_url):
        raise CsrfFailed("this form was sent from another site")
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise CsrfFailed("this form was sent from another site")


def check_token(request: Request, web: Web, submitted: object) -> None:
    """Refuse a form without this browser's token."""
    binding = request.cookies.get(session.cookie_name(web, NAME))
    expected = _mac(web, binding, session.value_of(request, web)) if binding else None
    if expected is None or not isinstance(submitted, str) or not hmac.compare_digest(expected, submitted):
        raise CsrfFailed("the form has expired or was not sent from Berth; reload and try again")
