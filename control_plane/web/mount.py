"""Put the browser pages and OAuth endpoints on the control plane's app."""

from __future__ import annotations

from fastapi import FastAPI

from control_plane.errors import OAuthError
from control_plane.web import devmail, oauth, pages
from control_plane.web.dashboard import routes as dashboard
from control_plane.web.resources import Web


def install(app: FastAPI, web: Web) -> None:
    """Sign-in, OAuth, the dashboard and /docs, the OAuth error renderer; ``/dev/mail`` in dev only."""
    app.state.web = web
    app.include_router(pages.router)
    app.include_router(oauth.router)
    app.include_router(dashboard.router())
    if web.settings.dev:
        app.include_router(devmail.router)
    app.add_exception_handler(OAuthError, oauth.on_oauth_error)
