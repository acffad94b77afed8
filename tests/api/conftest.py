"""Fixtures for the control plane: its service context on this test's catalog, and the ASGI app over it."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis
from argon2 import PasswordHasher

from control_plane.api.app import serving
from control_plane.catalog.db import create_pool
from control_plane.mail import catcher
from control_plane.services.context import Context
from control_plane.services.passwords import Passwords
from control_plane.settings import Settings


class Clock:
    """A settable clock: tests move time instead of sleeping."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="session")
def passwords() -> Passwords:
    # Cheap argon2id parameters keep the suite fast; production uses the library defaults.
    return Passwords(PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def api_pool(catalog_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(catalog_url, "berth_api", min_size=0, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
def ctx(settings: Settings, api_pool: asyncpg.Pool, redis_client: aioredis.Redis, clock: Clock,
        passwords: Passwords) -> Context:
    base = Context.from_settings(settings, api_pool, redis_client)
    return dataclasses.replace(base, clock=clock, passwords=passwords)


@pytest.fixture
async def client(settings: Settings, redis_client: aioredis.Redis) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(settings) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://berth.test") as http:
            yield http


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


PASSWORD = "correct horse battery"  # noqa: S105 - a test account's password


CONFIRM_LINK = re.compile(r"/signup/confirm\?token=([A-Za-z0-9_-]+)")


def confirmation_tokens(mail: Settings, to: str) -> list[str]:
    """The tokens of the sign-up links the loopback catcher holds for ``to``, newest first."""
    return [t for m in catcher.caught(mail) if m.to == to for t in CONFIRM_LINK.findall(m.text)]


async def signed_up(client: httpx.AsyncClient, email: str, *, password: str = PASSWORD,
                    tenant_name: str | None = None, mail: Settings | None = None) -> dict[str, Any]:
    """``POST /v1/signup``'s account, as a person gets it: at once without mail (201); with ``mail`` (the
    settings of a catcher), the 202, then the mailed link confirmed with the password."""
    asked = await client.post("/v1/signup", json={"email": email, "password": password,
                                                  "tenant_name": tenant_name or email})
    if mail is not None:
        assert asked.status_code == 202, asked.text
        [token, *_] = confirmation_tokens(mail, email)
        asked = await client.post("/v1/signup/confirm", json={"token": token, "password": password})
    assert asked.status_code == 201, asked.text
    made: dict[str, Any] = asked.json()
    return made


async def signup(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    """A fresh tenant through the API (no mail); returns its headers for the first API key."""
    made = await signed_up(client, email, password=password)
    return bearer(made["api_key"]["key"])
