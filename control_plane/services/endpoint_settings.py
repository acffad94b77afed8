"""An endpoint's owner settings: write tools allowed, public llms.txt and manifest, how many tables get tools.

Entry points: ``read(ctx, caller, endpoint)``, ``update(ctx, caller,
endpoint, wanted)`` and ``change(ctx, caller, endpoint, allow_writes=,
public_docs=, tool_cap=)`` (only what is given, the rest kept), which audit
``endpoint.settings`` with what changed and tell every gateway to drop its
cached view of the endpoint. Another tenant's endpoint is ``NotFound``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from control_plane.catalog.endpoints import EndpointStatus
from control_plane.errors import InvalidInput, NotFound
from control_plane.redis.invalidation import endpoint_message, publish
from control_plane.services import audit
from control_plane.services.context import Caller, Context, transaction
from control_plane.services.endpoints import Ref, resolve
from control_plane.services.permissions import Permission, check

MIN_CAP, MAX_CAP = 0, 200  # the column's CHECK (migration 0008)

READ = "SELECT allow_writes, public_docs, tool_cap FROM endpoints WHERE id = $1 AND tenant_id = $2"
LOCK = READ + " FOR UPDATE"
WRITE = """
UPDATE endpoints SET allow_writes = $3, public_docs = $4, tool_cap = $5, updated_at = now()
WHERE id = $1 AND tenant_id = $2 AND status <> $6
"""


@dataclass(frozen=True)
class EndpointSettings:
    allow_writes: bool = False
    public_docs: bool = False
    tool_cap: int = 20


def _check(wanted: EndpointSettings) -> None:
    if not MIN_CAP <= wanted.tool_cap <= MAX_CAP:
        raise InvalidInput(f"the tool cap must be a whole number from {MIN_CAP} to {MAX_CAP}")


async def read(ctx: Context, caller: Caller, endpoint: Ref) -> EndpointSettings:
    async with transaction(ctx, caller.tenant_id) as conn:
        endpoint_id = await resolve(conn, caller, endpoint)
        row = await conn.fetchrow(READ, endpoint_id, caller.tenant_id)
    if row is None:
        raise NotFound("no such endpoint")
    return EndpointSettings(row["allow_writes"], row["public_docs"], row["tool_cap"])


async def update(ctx: Context, caller: Caller, endpoint: Ref, wanted: EndpointSettings) -> EndpointSettings:
    """Store ``wanted``; safe to repeat (an unchanged value is audited with no changes)."""
    return await _store(ctx, caller, endpoint, lambda _: wanted)


async def change(ctx: Context, caller: Caller, endpoint: Ref, *, allow_writes: bool | None = None,
                 public_docs: bool | None = None, tool_cap: int | None = None) -> EndpointSettings:
    """Set the settings given (None keeps one as it is), in one transaction with the read; safe to repeat."""
    given: dict[str, Any] = {k: v for k, v in (("allow_writes", allow_writes), ("public_docs", public_docs),
                                                ("tool_cap", tool_cap)) if v is not None}
    return await _store(ctx, caller, endpoint, lambda now: replace(now, **given))


async def _store(ctx: Context, caller: Caller, endpoint: Ref,
                 decide: Callable[[EndpointSettings], EndpointSettings]) -> EndpointSettings:
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.ENDPOINTS)
        endpoint_id = await resolve(conn, caller, endpoint)
        row = await conn.fetchrow(LOCK, endpoint_id, caller.tenant_id)
        if row is None:
            raise NotFound("no such endpoint")
        wanted = decide(EndpointSettings(row["allow_writes"], row["public_docs"], row["tool_cap"]))
        _check(wanted)
        await conn.execute(WRITE, endpoint_id, caller.tenant_id, *asdict(wanted).values(),
                           EndpointStatus.DELETED)
        changed = {k: v for k, v in asdict(wanted).items() if row[k] != v}
        await audit.record(conn, caller, "endpoint.settings", endpoint_id, endpoint_id=endpoint_id,
                           detail=changed)
    await publish(ctx.redis, endpoint_message(endpoint_id))
    return wanted
