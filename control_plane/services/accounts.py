"""Account deletion: the tenant's data becomes unreachable at once; the worker tears it down.

Entry points: ``authorize_deletion(ctx, caller, password=)`` (owner only, and a
fresh login or the password; the HTTP API calls it, an operator skips it) and
``delete_account(ctx, caller)``, which in one transaction marks the tenant and
its endpoints deleting, revokes every token and API key, enqueues
``delete_account`` and audits; then publishes the invalidations. Returns the job id.
"""

from __future__ import annotations

from datetime import timedelta

from control_plane.catalog import endpoints, tenants
from control_plane.catalog.jobs import Kind, enqueue
from control_plane.errors import (
    InvalidCredentials,
    OwnerRequired,
    ReauthenticationRequired,
    TenantInactive,
)
from control_plane.redis.invalidation import publish
from control_plane.services import audit
from control_plane.services.context import Caller, Context, transaction
from control_plane.services.identity import MEMBERSHIPS

FRESH_LOGIN = timedelta(minutes=5)

PASSWORD_HASH = "SELECT password_hash FROM users WHERE id = $1"

async def authorize_deletion(ctx: Context, caller: Caller, *, password: str | None = None) -> None:
    """Owner only, and proven recently: the password, or a JWT issued within the last five minutes."""
    if caller.user_id is None:
        raise OwnerRequired("only the account owner can delete the account")
    async with transaction(ctx, caller.tenant_id) as conn:
        roles = {r["tenant_id"]: r["role"] for r in await conn.fetch(MEMBERSHIPS, caller.user_id)}
        stored = await conn.fetchval(PASSWORD_HASH, caller.user_id)
    if roles.get(caller.tenant_id) != "owner":
        raise OwnerRequired("only the account owner can delete the account")
    if password is not None:
        if not await ctx.passwords.verify(stored, password):
            raise InvalidCredentials("the password is wrong")
        return
    fresh = caller.authenticated_at is not None and ctx.clock() - caller.authenticated_at <= FRESH_LOGIN
    if not fresh:
        raise ReauthenticationRequired("confirm with the password or log in again")


async def delete_account(ctx: Context, caller: Caller) -> int:
    """Everything of the tenant stops working in this transaction; returns the teardown job's id."""
    now = ctx.clock()
    async with transaction(ctx, caller.tenant_id) as conn:
        if not await tenants.start_delete(conn, caller.tenant_id, now):
            raise TenantInactive("the account is already being deleted")
        moved = await endpoints.start_delete_all(conn, caller.tenant_id, now)
        job_id = await enqueue(conn, Kind.DELETE_ACCOUNT, {"tenant_id": str(caller.tenant_id)},
                               tenant_id=caller.tenant_id)
        await audit.record(conn, caller, "account.delete", caller.tenant_id, detail={"job_id": job_id})
    await publish(ctx.redis, *moved.messages)
    return job_id
