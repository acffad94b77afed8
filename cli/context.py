"""What an operator command works with: settings, catalog pools, Redis, sealer, provider."""

from __future__ import annotations

import getpass
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from uuid import UUID

import asyncpg
import redis.asyncio as aioredis

from cli.runtime import check_catalog
from control_plane.catalog.db import create_pool
from control_plane.catalog.installation import installation_id
from control_plane.providers.base import Provider
from control_plane.providers.factory import build_provider
from control_plane.redis import connect as redis_connect
from control_plane.sealing import Sealer
from control_plane.services.context import Caller, Context
from control_plane.settings import Process, Settings

OPERATING = frozenset({Process.OPERATOR})


@dataclass(frozen=True)
class Operator:
    settings: Settings
    api: asyncpg.Pool
    worker: asyncpg.Pool
    redis: aioredis.Redis
    sealer: Sealer
    provider: Provider
    actor: str
    services: Context

    def caller(self, tenant_id: UUID) -> Caller:
        """Act for a tenant through the same service layer as the API, recorded as this operator."""
        return Caller(tenant_id, self.actor)


def operator_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@asynccontextmanager
async def operator(settings: Settings) -> AsyncIterator[Operator]:
    """Open what the command needs; the actor is ``operator:<login name>``."""
    settings.require(Process.OPERATOR)
    (await check_catalog(settings)).terminate()
    dsn = settings.database_url_value
    async with AsyncExitStack() as stack:
        api = await create_pool(dsn, "berth_api", min_size=0, max_size=2)
        stack.push_async_callback(api.close)
        worker = await create_pool(dsn, "berth_worker", min_size=0, max_size=2)
        stack.push_async_callback(worker.close)
        client = redis_connect.connect(settings.redis_url_value)
        stack.push_async_callback(client.aclose)
        provider = build_provider(settings, installation=await installation_id(worker))
        stack.push_async_callback(provider.aclose)
        services = Context.from_settings(settings, api, client, roles=OPERATING)
        yield Operator(settings, api, worker, client, Sealer.from_setting(settings.seal_keys_value),
                       provider, f"operator:{operator_name()}", services)
