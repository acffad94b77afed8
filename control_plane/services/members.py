"""A tenant's people: list them, change a role, remove one; at least one owner always.

Entry points: ``list_members(ctx, caller)``; ``change_role(ctx, caller,
user_id, role)`` (admins manage admins, members and viewers; making or
unmaking an owner is the owners' own right, which is how ownership moves);
``remove(ctx, caller, user_id)``, which in one transaction deletes the
membership, revokes every API key the person created in the tenant and ends
their browser sessions, so nothing of theirs works on the next request.
Another tenant's person, or nobody, is ``NotFound``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from control_plane.errors import LastOwner, NotFound
from control_plane.services import audit
from control_plane.services.context import Caller, Context, transaction
from control_plane.services.permissions import Permission, Role, check, parse_role, require

LIST = """
SELECT m.user_id, u.email, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.tenant_id = $1 ORDER BY m.created_at, m.user_id
"""
# Every membership row of the tenant is locked, so two owners cannot demote each other at once.
LOCK = "SELECT user_id, role FROM memberships WHERE tenant_id = $1 ORDER BY user_id FOR UPDATE"
SET_ROLE = "UPDATE memberships SET role = $3 WHERE tenant_id = $1 AND user_id = $2"
DELETE = "DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2"
REVOKE_KEYS = """
UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id
"""
END_SESSIONS = "DELETE FROM web_sessions WHERE user_id = $1"


@dataclass(frozen=True)
class Member:
    user_id: UUID
    email: str
    role: str
    created_at: datetime


async def list_members(ctx: Context, caller: Caller) -> list[Member]:
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.READ)
        rows = await conn.fetch(LIST, caller.tenant_id)
    return [Member(**dict(r)) for r in rows]


async def _target(conn: asyncpg.Connection, caller: Caller, user_id: UUID) -> tuple[Role, dict[UUID, str]]:
    """The caller's role and every member's, locked; the target must be one of them."""
    acting = await check(conn, caller, Permission.MEMBERS)
    roles = {r["user_id"]: r["role"] for r in await conn.fetch(LOCK, caller.tenant_id)}
    if user_id not in roles:
        raise NotFound("no such member")
    return acting, roles


def _keep_an_owner(roles: dict[UUID, str], user_id: UUID, new_role: Role | None) -> None:
    after = {**roles, user_id: new_role} if new_role else {u: r for u, r in roles.items() if u != user_id}
    if Role.OWNER not in after.values():
        raise LastOwner("a tenant keeps at least one owner; make another owner first")


async def change_role(ctx: Context, caller: Caller, user_id: UUID, role: str) -> Member:
    new_role = parse_role(role)
    async with transaction(ctx, caller.tenant_id) as conn:
        acting, roles = await _target(conn, caller, user_id)
        if Role.OWNER in (new_role, roles[user_id]):
            require(acting, Permission.OWNERSHIP)
        _keep_an_owner(roles, user_id, new_role)
        await conn.execute(SET_ROLE, caller.tenant_id, user_id, new_role.value)
        await audit.record(conn, caller, "member.role", user_id,
                           detail={"from": roles[user_id], "to": new_role.value})
    return next(m for m in await list_members(ctx, caller) if m.user_id == user_id)


async def remove(ctx: Context, caller: Caller, user_id: UUID) -> None:
    """The person's membership, API keys and browser sessions end in one transaction."""
    async with transaction(ctx, caller.tenant_id) as conn:
        acting, roles = await _target(conn, caller, user_id)
        if roles[user_id] == Role.OWNER:
            require(acting, Permission.OWNERSHIP)
        _keep_an_owner(roles, user_id, None)
        await conn.execute(DELETE, caller.tenant_id, user_id)
        keys = [r["id"] for r in await conn.fetch(REVOKE_KEYS, caller.tenant_id, user_id, ctx.clock())]
        await conn.execute(END_SESSIONS, user_id)
        await audit.record(conn, caller, "member.remove", user_id,
                           detail={"role": roles[user_id], "api_keys_revoked": [str(k) for k in keys]})
