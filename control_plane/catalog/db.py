"""Catalog connections: one pool per application role, and tenant-scoped transactions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal
from uuid import UUID

import asyncpg
import orjson

Role = Literal["berth_api", "berth_worker", "berth_gateway"]

SET_TENANT = "SELECT set_config('app.current_tenant_id', $1, true)"
# The catalog is down or going away, whoever asks: every adapter turns these into ``Unavailable``.
# A connection cut by a restart is among them; callers that can retry on a fresh connection look
# for ``LOST_CONNECTION`` first.
LOST_CONNECTION = (asyncpg.ConnectionDoesNotExistError, asyncpg.AdminShutdownError, ConnectionResetError)
CATALOG_DOWN = (OSError, TimeoutError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError,
                asyncpg.CannotConnectNowError, asyncpg.OperatorInterventionError,
                asyncpg.InsufficientResourcesError, asyncpg.ObjectNotInPrerequisiteStateError,
                asyncpg.InvalidCatalogNameError,
                # A connection cut mid-operation can leave asyncpg's protocol in a state it refuses.
                asyncpg.InternalClientError, *LOST_CONNECTION)
CATALOG_DOWN_MESSAGE = "the catalog is unavailable; retry later"


async def _init_connection(conn: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name, encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads,
            schema="pg_catalog",
        )


async def create_pool(
    dsn: str, role: Role, *, min_size: int = 1, max_size: int = 10, timeout: float = 10.0
) -> asyncpg.Pool:
    """A pool whose sessions run as ``role`` (the login user must be a member of it)."""
    return await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        timeout=timeout,
        init=_init_connection,
        server_settings={"role": role, "application_name": f"berth:{role}"},
    )


@asynccontextmanager
async def tenant_transaction(
    pool: asyncpg.Pool, tenant_id: UUID | None
) -> AsyncIterator[asyncpg.Connection]:
    """One transaction that first pins ``app.current_tenant_id`` (RLS behind the service checks)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(SET_TENANT, str(tenant_id) if tenant_id else "")
        yield conn
