"""What every service call needs: the API's catalog pool, Redis, secrets, a clock, and who is calling.

Entry points for the HTTP API and the operator CLI alike take a ``Context``
(built once per process by ``Context.from_settings``) and a ``Caller`` naming
the tenant and the actor written to audit rows (``user:<uuid>``,
``api_key:<uuid>``, ``operator:<name>``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import redis.asyncio as aioredis

from control_plane.catalog.db import CATALOG_DOWN, CATALOG_DOWN_MESSAGE, tenant_transaction
from control_plane.errors import AlreadyExists, Unavailable
from control_plane.imports.limits import max_import_bytes
from control_plane.services.passwords import Passwords
from control_plane.settings import Process, Settings


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Caller:
    """The tenant a call acts for and the actor it is recorded as."""

    tenant_id: UUID
    actor: str
    request_id: str | None = None
    user_id: UUID | None = None
    # When the caller proved who they are (a JWT's iat); None for API keys and operators.
    authenticated_at: datetime | None = None


@dataclass(frozen=True)
class Context:
    pool: asyncpg.Pool  # sessions run as berth_api, under RLS
    redis: aioredis.Redis
    pepper: bytes
    jwt_secret: str | None  # None for the operator commands, which never sign or read a JWT
    jwt_ttl_seconds: int
    base_url: str
    provider_name: str
    max_import_bytes: int | None = None  # BERTH_MAX_IMPORT_BYTES: lowers the plans' import limits
    clock: Callable[[], datetime] = field(default=utcnow)
    passwords: Passwords = field(default_factory=Passwords)

    @property
    def jwt_key(self) -> str:
        """The key that signs and checks login JWTs; only the API's context has one."""
        if self.jwt_secret is None:
            raise RuntimeError("this process was built without BERTH_JWT_SECRET")
        return self.jwt_secret

    def import_limit(self, plan: str) -> int:
        """The largest file an import into an endpoint of ``plan`` may be on this installation."""
        return max_import_bytes(plan, self.max_import_bytes)

    @classmethod
    def from_settings(cls, settings: Settings, pool: asyncpg.Pool, redis: aioredis.Redis, *,
                      roles: frozenset[Process] = frozenset({Process.API})) -> Context:
        """The context of a process of ``roles``: the JWT secret only where the API runs."""
        return cls(
            pool=pool,
            redis=redis,
            pepper=settings.token_pepper_value,
            jwt_secret=settings.jwt_secret_value if Process.API in roles else None,
            jwt_ttl_seconds=settings.jwt_ttl_seconds,
            base_url=settings.gateway_base_url,  # MCP URLs are the gateway's
            provider_name=settings.provider,
            max_import_bytes=settings.max_import_bytes,
        )


@asynccontextmanager
async def transaction(ctx: Context, tenant_id: UUID | None) -> AsyncIterator[asyncpg.Connection]:
    """A tenant-pinned catalog transaction; the one place asyncpg errors become Berth errors."""
    try:
        async with tenant_transaction(ctx.pool, tenant_id) as conn:
            yield conn
    except asyncpg.UniqueViolationError as exc:
        raise AlreadyExists("that already exists") from exc
    except CATALOG_DOWN as exc:
        raise Unavailable(CATALOG_DOWN_MESSAGE) from exc
