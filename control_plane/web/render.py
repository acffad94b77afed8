"""Jinja2 pages with the headers every Berth page carries: no framing, a strict CSP, no referrer abroad."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import jinja2
from starlette.responses import HTMLResponse, RedirectResponse, Response


def environment() -> jinja2.Environment:
    loader = jinja2.PackageLoader("control_plane.web", "templates")
    return jinja2.Environment(loader=loader, autoescape=jinja2.select_autoescape(default=True),
                              undefined=jinja2.StrictUndefined)


def policy(form_targets: Iterable[str] = ()) -> str:
    """The CSP: own styles only, no scripts, forms post to Berth (and the consent's redirect origin)."""
    targets = " ".join(["'self'", *form_targets])
    return (f"default-src 'none'; style-src 'self'; img-src 'self'; form-action {targets}; "
            "frame-ancestors 'none'; base-uri 'none'")


def protect(response: Response, form_targets: Iterable[str] = ()) -> Response:
    response.headers["Content-Security-Policy"] = policy(form_targets)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"  # Origin stays on own POSTs; nothing leaves
    response.headers["Cache-Control"] = "no-store"
    return response


def html(templates: jinja2.Environment, name: str, values: Mapping[str, Any], *, status: int = 200,
         form_targets: Iterable[str] = ()) -> HTMLResponse:
    body = templates.get_template(name).render(**values)
    response = HTMLResponse(body, status_code=status)
    protect(response, form_targets)
    return response


def see_other(location: str) -> RedirectResponse:
    response = RedirectResponse(location, status_code=303)
    protect(response)
    return response
