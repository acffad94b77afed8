"""An endpoint's owner settings: write tools allowed, public llms.txt and manifest, how many tables get tools.

Entry points: ``read(ctx, caller, endpoint)`` and ``update(ctx, caller,
endpoint, wanted)``, which audits ``endpoint.settings`` with what changed and
tells every gateway to drop its cached view of the endpoint. Another tenant's
endpoint is ``NotFound``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from control_plane.catalog.invalidation import endpoint_message, publish
from control_plane.errors import InvalidInput, NotFound
from control_plane.services import audit
from control_plane.services.context import Caller, Context, transaction
from control_plane.services.endpoints import Ref, resolve

MIN_CAP, MAX_CAP = 0, 200  # the column's CHECK (migration 0008)

READ = "SELECT allow_writes, public_docs, tool_cap FROM endpoints WHERE id = $1 AND tenant_id = $2"
WRITE = """
UPDATE endpoints SET allow_writes = $3, public_docs = $4, tool_cap = $5, updated_at = now()
WHERE id = $1 AND tenant_id = $2 AND status <> 'deleted'
"""


@dataclass(frozen=True)
class EndpointSettings:
    allow_writes: bool = False
    public_docs: bool = False
    tool_cap: int = 20


def _check(wanted: EndpointSettings) -> None:
    if not MIN_CAP <= wanted.tool_cap <= MAX_CAP:
        raise InvalidInput(f"the tool cap must be a whole number from {MIN_CAP} to {MAX_CAP}",
                           code="invalid_request")


async def read(ctx: Context, caller: Caller, endpoint: Ref) -> EndpointSettings:
    async with transaction(ctx, caller.tenant_id) as conn:
        endpoint_id = await resolve(conn, caller, endpoint)
        row = await conn.fetchrow(READ, endpoint_id, caller.tenant_id)
    if row is None:
        raise NotFound("no such endpoint")
    return EndpointSettings(row["allow_writes"], row["public_docs"], row["tool_cap"])


async def update(ctx: Context, caller: Caller, endpoint: Ref, wanted: EndpointSettings) -> EndpointSettings:
    """Store ``wanted``; safe to repeat (an unchanged value is audited with no changes)."""
    _check(wanted)
    async with transaction(ctx, caller.tenant_id) as conn:
        endpoint_id = await resolve(conn, caller, endpoint)
        row = await conn.fetchrow(READ, endpoint_id, caller.tenant_id)
        if row is None:
            raise NotFound("no such endpoint")
        await conn.execute(WRITE, endpoint_id, caller.tenant_id, *asdict(wanted).values())
        changed = {k: v for k, v in asdict(wanted).items() if row[k] != v}
        await audit.record(conn, caller, "endpoint.settings", endpoint_id, endpoint_id=endpoint_id,
                           detail=changed)
    await publish(ctx.redis, endpoint_message(endpoint_id))
    return wanted
