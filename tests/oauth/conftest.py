"""Fixtures for OAuth, sign-in and mail: the control plane and gateway on one ASGI root, a user and endpoint.

``berth`` serves both roles the way ``berth dev`` does (cli/server.py's root),
reached by httpx over ASGI at https://berth.test, so Secure cookies flow.
``Browser`` helpers sign in and submit forms exactly as a page would (CSRF
token read from the HTML). The app's clock is the test's ``Clock``.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
import pytest

from cli.server import RootApp
from control_plane.api.app import serving as control_serving
from control_plane.settings import Settings
from data_plane.lifespan import serving as gateway_serving
from tests.api.conftest import signed_up

BASE = "https://berth.test"
PASSWORD = "correct horse battery"  # noqa: S105 - a test account's password
CALLBACK = "http://127.0.0.1:9/callback"
READY_ENDPOINT = """
INSERT INTO endpoints (id, tenant_id, slug, name, plan, provider, status)
VALUES ($1, $2, $3, 'shop', 'free', 'local', 'ready')
"""
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clock:
    """A settable clock: tests move time instead of sleeping."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Account:
    email: str
    tenant_id: uuid.UUID
    api_key: str
    slug: str

    @property
    def resource(self) -> str:
        return f"{BASE}/e/{self.slug}/mcp"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def berth_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"public_url": BASE})


@pytest.fixture
async def berth(berth_settings: Settings, clock: Clock) -> AsyncIterator[RootApp]:
    root = RootApp(berth_settings, control_serving, gateway_serving, [])
    await root._start()
    control = root.routes.control
    assert control is not None
    state = control.state  # type: ignore[attr-defined]
    state.ctx = dataclasses.replace(state.ctx, clock=clock)
    try:
        yield root
    finally:
        await root.stack.aclose()


@pytest.fixture
async def browser(berth: RootApp) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=berth), base_url=BASE) as client:
        yield client


async def new_account(client: httpx.AsyncClient, catalog: asyncpg.Connection,
                      email: str | None = None, *, mail: Settings | None = None) -> Account:
    """A tenant with its owner (password ``PASSWORD``) and a ready endpoint row (no database behind it);
    signed up through the mailed link when ``mail`` (settings whose mail a catcher keeps) is given."""
    email = email or f"owner-{uuid.uuid4().hex[:8]}@example.com"
    made = await signed_up(client, email, tenant_name="acme", mail=mail)
    tenant_id = uuid.UUID(made["tenant"]["id"])
    slug = f"shop-{uuid.uuid4().hex[:8]}"
    await catalog.execute(READY_ENDPOINT, uuid.uuid4(), tenant_id, slug)
    return Account(email, tenant_id, made["api_key"]["key"], slug)


@pytest.fixture
async def account(browser: httpx.AsyncClient, catalog: asyncpg.Connection,
                  berth_settings: Settings) -> Account:
    return await new_account(browser, catalog, mail=berth_settings if berth_settings.sends_mail else None)


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> None:
    page = await client.get("/login")
    answer = await client.post("/login", data={"email": email, "password": password, "next": "/login",
                                               "csrf_token": csrf_of(page)})
    assert answer.status_code == 303, answer.text


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


async def register(client: httpx.AsyncClient, redirect: str = CALLBACK, **extra: Any) -> str:
    body = {"redirect_uris": [redirect], "client_name": "Test app", "token_endpoint_auth_method": "none",
            **extra}
    answer = await client.post("/oauth/register", json=body)
    assert answer.status_code == 201, answer.text
    client_id: str = answer.json()["client_id"]
    return client_id


def authorize_params(client_id: str, account: Account, challenge: str,
                     **override: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK, "state": "st-123",
        "code_challenge": challenge, "code_challenge_method": "S256", "resource": account.resource,
        "scope": "mcp mcp:write", **override}
    return {k: v for k, v in params.items() if v is not None}


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def consent(client: httpx.AsyncClient, consent_path: str, *, decision: str = "allow",
                  writes: bool = False) -> httpx.Response:
    page = await client.get(consent_path)
    assert page.status_code == 200, page.text
    form = {"csrf_token": csrf_of(page), "request": query_of(consent_path)["request"], "decision": decision}
    if writes:
        form["allow_writes"] = "yes"
    return await client.post("/oauth/consent", data=form)


async def code_for(client: httpx.AsyncClient, client_id: str, account: Account, challenge: str, *,
                   writes: bool = False) -> str:
    """Authorize and consent as the signed-in browser; the code the redirect carries."""
    started = await client.get("/oauth/authorize", params=authorize_params(client_id, account, challenge))
    assert started.status_code == 303, started.text
    decided = await consent(client, started.headers["location"], writes=writes)
    assert decided.status_code == 303, decided.text
    answer = query_of(decided.headers["location"])
    assert answer["state"] == "st-123"
    return answer["code"]


async def exchange(client: httpx.AsyncClient, client_id: str, code: str, verifier: str,
                   account: Account, **override: str | None) -> httpx.Response:
    form: dict[str, str | None] = {"grant_type": "authorization_code", "code": code, "client_id": client_id,
                                   "redirect_uri": CALLBACK, "code_verifier": verifier,
                                   "resource": account.resource, **override}
    return await client.post("/oauth/token", data={k: v for k, v in form.items() if v is not None})
