"""Fixtures for the control plane: its service context on this test's catalog, and the ASGI app over it."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis
from argon2 import PasswordHasher

from control_plane.api.app import serving
from control_plane.catalog.db import create_pool
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


async def signup(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    """A fresh tenant through the API; returns its headers for the first API key."""
    made = await client.post("/v1/signup", json={"email": email, "password": password, "tenant_name": email})
    assert made.status_code == 201, made.text
    return bearer(made.json()["api_key"]["key"])
