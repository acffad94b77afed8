"""Roles in a tenant and the one table of what each may do, checked by every service that changes state.

    viewer  read endpoints, usage, audit, members, shares, support requests
    member  + agent tokens (also for endpoints shared with the tenant) and imports
    admin   + endpoints and their settings, API keys, members and invitations, sharing
    owner   + account deletion, ownership (making or removing owners), support access

``authorize(ctx, caller, permission)`` returns the caller's role or raises
``Forbidden`` (``role_forbidden``). A caller acting for a user has that user's
current role (an API key: the role of the user who created it); the operator
and keys the operator made act as owner; a support credential as a viewer.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType
from typing import Final

import asyncpg

from control_plane.errors import InvalidRole, NotAMember, RoleForbidden
from control_plane.services.context import Caller, Context, transaction

ROLE = "SELECT role FROM memberships WHERE tenant_id = $1 AND user_id = $2"
SUPPORT_ACTOR = "support:"


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


class Permission(StrEnum):
    READ = "read"
    TOKENS = "tokens"
    IMPORTS = "imports"
    ENDPOINTS = "endpoints"
    API_KEYS = "api_keys"
    MEMBERS = "members"
    SHARING = "sharing"
    ACCOUNT = "account"
    OWNERSHIP = "ownership"
    SUPPORT = "support"


_VIEWER = frozenset({Permission.READ})
_MEMBER = _VIEWER | {Permission.TOKENS, Permission.IMPORTS}
_ADMIN = _MEMBER | {Permission.ENDPOINTS, Permission.API_KEYS, Permission.MEMBERS, Permission.SHARING}
_OWNER = _ADMIN | {Permission.ACCOUNT, Permission.OWNERSHIP, Permission.SUPPORT}
TABLE: Final = MappingProxyType({
    Role.VIEWER: _VIEWER, Role.MEMBER: _MEMBER, Role.ADMIN: _ADMIN, Role.OWNER: _OWNER,
})


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidRole("role must be owner, admin, member or viewer") from None


def allows(role: Role, permission: Permission) -> bool:
    return permission in TABLE[role]


async def role_of(conn: asyncpg.Connection, caller: Caller) -> Role:
    """The caller's role in its tenant, in a transaction pinned to that tenant."""
    if caller.actor.startswith(SUPPORT_ACTOR):
        return Role.VIEWER
    if caller.user_id is None:
        return Role.OWNER  # the operator, or a key the operator made for the tenant
    found = await conn.fetchval(ROLE, caller.tenant_id, caller.user_id)
    if found is None:
        raise NotAMember("not a member of that tenant")
    return Role(found)


def require(role: Role, permission: Permission) -> Role:
    if not allows(role, permission):
        raise RoleForbidden(f"the {role} role may not do this ({permission})")
    return role


async def check(conn: asyncpg.Connection, caller: Caller, permission: Permission) -> Role:
    """Inside the caller's transaction: its role, when that role allows ``permission``."""
    return require(await role_of(conn, caller), permission)


async def authorize(ctx: Context, caller: Caller, permission: Permission) -> Role:
    """In a transaction of its own: the caller's role, when that role allows ``permission``."""
    async with transaction(ctx, caller.tenant_id) as conn:
        return await check(conn, caller, permission)
