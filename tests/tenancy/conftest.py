"""Fixtures for teams, sharing and support: a dev-mode control plane whose mail a loopback catcher keeps."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from control_plane.api.app import serving
from control_plane.mail import catcher
from control_plane.settings import Settings
from tests.api.conftest import PASSWORD, bearer, signed_up

BASE = "https://berth.test"
INVITE = re.compile(r"https://berth\.test/invitations/accept\?token=([A-Za-z0-9_-]+)")


@pytest.fixture
def berth_settings(settings: Settings) -> Settings:
    return catcher.for_dev(settings.model_copy(update={"public_url": BASE, "dev": True}))


@pytest.fixture
async def api(berth_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with catcher.catching(berth_settings), serving(berth_settings) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://berth.test") as http:
            yield http


@dataclass(frozen=True)
class Tenant:
    id: str
    email: str
    headers: dict[str, str]


async def new_tenant(api: httpx.AsyncClient, settings: Settings, email: str) -> Tenant:
    """A tenant signed up through the mailed confirmation link, as this mail-sending Berth requires."""
    body = await signed_up(api, email, mail=settings)
    return Tenant(body["tenant"]["id"], email, bearer(body["api_key"]["key"]))


def invitation_tokens(settings: Settings, to: str) -> list[str]:
    return [t for m in catcher.caught(settings) if m.to == to for t in INVITE.findall(m.text)]


async def login(api: httpx.AsyncClient, email: str, tenant_id: str | None = None) -> dict[str, str]:
    body = {"email": email, "password": PASSWORD, **({"tenant_id": tenant_id} if tenant_id else {})}
    answer = await api.post("/v1/login", json=body)
    assert answer.status_code == 200, answer.text
    return bearer(answer.json()["access_token"])


async def join(api: httpx.AsyncClient, settings: Settings, owner: Tenant, email: str, role: str) -> None:
    """``email`` invited by ``owner`` with ``role``, the mailed link accepted (an account made if new)."""
    sent = await api.post("/v1/invitations", headers=owner.headers, json={"email": email, "role": role})
    assert sent.status_code == 201, sent.text
    token = invitation_tokens(settings, email)[0]
    accepted = await api.post("/v1/join", json={"token": token, "password": PASSWORD})
    assert accepted.status_code == 201, accepted.text
