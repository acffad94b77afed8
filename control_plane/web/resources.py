"""What the browser pages hold for the app's lifetime, built once from settings."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

import httpx
import jinja2
from fastapi import Request

from control_plane.mail.sender import Mailer, from_settings
from control_plane.oauth.documents import DocumentFetcher
from control_plane.oauth.issuing import Lifetimes
from control_plane.settings import Settings
from control_plane.web.render import environment


@dataclass(frozen=True)
class Web:
    settings: Settings
    templates: jinja2.Environment
    mailer: Mailer
    fetcher: DocumentFetcher
    lifetimes: Lifetimes
    csrf_key: bytes
    session_ttl: timedelta

    @property
    def secure(self) -> bool:
        """Cookies are Secure (and ``__Host-`` named) everywhere but ``berth dev``."""
        return not self.settings.dev

    @classmethod
    def from_settings(cls, settings: Settings, http: httpx.AsyncClient, *,
                      mailer: Mailer | None = None) -> Web:
        key = hmac.new(settings.jwt_secret_value.encode(), b"berth csrf", hashlib.sha256).digest()
        allow_private = settings.dev or settings.oauth_allow_private_clients
        return cls(settings, environment(), mailer or from_settings(settings),
                   DocumentFetcher(http, allow_private=allow_private),
                   Lifetimes(timedelta(seconds=settings.oauth_access_ttl_seconds),
                             timedelta(days=settings.oauth_refresh_ttl_days)),
                   key, timedelta(hours=settings.session_ttl_hours))


def web_of(request: Request) -> Web:
    web: Web = request.app.state.web
    return web
