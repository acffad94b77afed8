"""An endpoint created with a file in one call: the endpoint, its first import and both jobs together.

``receive`` spools the file within the largest import limit the tenant's plan
allows (an endpoint is never above its tenant's plan), so the endpoint's own
fields may arrive before or after it. ``create`` then holds the file to the
endpoint's plan (over it: 413, and no endpoint is made) and inserts, in one
transaction, the endpoint, its ``provision`` job, the import and its
``import`` job. The import job waits while the endpoint is provisioned
(``import_runs.run_import`` defers it) and then loads like any upload. A
failed import leaves the new endpoint ready and empty, the failed import
listed with its errors. The spool file is removed on any refusal.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from control_plane.errors import IdempotencyMismatch, InvalidInput
from control_plane.imports import spool, store
from control_plane.imports.spool import Spooled
from control_plane.imports.store import Import, Mode
from control_plane.plans import DEFAULT_PLAN
from control_plane.services import endpoints, imports
from control_plane.services.context import Caller, Context, transaction
from control_plane.services.endpoints import TENANT_PLAN, Endpoint
from control_plane.services.imports import Upload, read
from control_plane.services.permissions import Permission, check

CARRIES = ("file",)  # an Idempotency-Key used with a file is another body than the same fields without


@dataclass(frozen=True)
class NewEndpoint:
    name: str
    plan: str | None = None
    region: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class Created:
    endpoint: Endpoint
    first_import: Import


async def ceiling(ctx: Context, caller: Caller) -> tuple[int, str]:
    """The largest file a new endpoint of the caller's tenant may start with, and that plan's name."""
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.ENDPOINTS)
        await check(conn, caller, Permission.IMPORTS)
        plan = str(await conn.fetchval(TENANT_PLAN, caller.tenant_id) or DEFAULT_PLAN)
    return ctx.import_limit(plan), plan


async def receive(ctx: Context, caller: Caller, chunks: AsyncIterator[bytes], *, spool_dir: Path,
                  declared_length: int | None = None) -> Spooled:
    """Spool the file; over the tenant's plan's limit (declared, or while it streams) is 413, nothing kept."""
    limit, plan = await ceiling(ctx, caller)
    return await spool.receive(spool_dir, chunks, limit=limit, plan=plan, declared=declared_length)


async def create(ctx: Context, caller: Caller, new: NewEndpoint, upload: Upload, spooled: Spooled) -> Created:
    """The endpoint and its first import, from a spooled file; a replayed Idempotency-Key returns the first.

    The spool file is the import's from here, or removed when anything is refused.
    """
    try:
        created, kept = await _create(ctx, caller, new, upload, spooled)
    except BaseException:
        spool.discard(spooled.path)
        raise
    if not kept:
        spool.discard(spooled.path)
    return created


async def _create(ctx: Context, caller: Caller, new: NewEndpoint, upload: Upload,
                  spooled: Spooled) -> tuple[Created, bool]:
    endpoints.validate(new.name, new.plan, new.region, new.idempotency_key)
    if read(upload)[1] is not Mode.CREATE:
        raise InvalidInput("a new endpoint's first import has mode create")
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.ENDPOINTS)
        await check(conn, caller, Permission.IMPORTS)
        row, made = await endpoints.insert(conn, ctx, caller, new.name, new.plan, new.region,
                                           idempotency_key=new.idempotency_key, carries=CARRIES)
        endpoint = endpoints.view(ctx, row)
        if not made:
            first = await store.first_for(conn, caller.tenant_id, endpoint.id)
            if first is None:
                raise IdempotencyMismatch("Idempotency-Key was used with a different body")
            return Created(endpoint, first), False
        # Over the endpoint's own plan's limit, the transaction rolls back, the endpoint included.
        imported = await imports.record(ctx, conn, caller, endpoint.id, endpoint.plan, upload, spooled)
    return Created(endpoint, imported), True
