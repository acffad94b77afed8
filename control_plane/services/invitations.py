"""Invitations by email: a single-use link (kept as an HMAC) that makes the person a member when accepted.

Entry points: ``invite(ctx, caller, email, role, link_for)`` returns the
invitation and the mail to send (inviting an owner takes an owner);
``list_invitations``, ``withdraw``; ``accept(ctx, token, password=)`` runs
before any tenant is known: the token names the tenant, an existing account
joins it, a new address becomes an account (with ``password``). Possession of
the link proves the address, as a magic link does. A used, expired, withdrawn
or unknown link is the same 401.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from control_plane import tokens
from control_plane.errors import (
    AlreadyMember,
    InvalidEmail,
    InvalidInvitation,
    NotFound,
    PasswordRequired,
    WeakPassword,
)
from control_plane.mail.sender import Mail
from control_plane.services import audit
from control_plane.services.context import Caller, Context, transaction
from control_plane.services.identity import NEW_USER, PIN_TENANT
from control_plane.services.passwords import MAX_LENGTH, MIN_LENGTH
from control_plane.services.permissions import Permission, Role, check, parse_role, require

TTL = timedelta(days=7)
MAX_TOKEN = 128

INSERT = """
INSERT INTO invitations (id, tenant_id, email, role, token_hash, invited_by, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at
"""
FIND_USER = "SELECT id FROM users WHERE lower(email) = lower($1)"
TENANT_NAME = "SELECT name FROM tenants WHERE id = $1"
LIST = """
SELECT id, email, role, invited_by, created_at, expires_at, accepted_at, revoked_at FROM invitations
WHERE tenant_id = $1 ORDER BY created_at DESC, id LIMIT 200
"""
WITHDRAW = """
UPDATE invitations SET revoked_at = $3 WHERE id = $1 AND tenant_id = $2 AND accepted_at IS NULL
RETURNING id
"""
FIND = "SELECT id, tenant_id FROM berth_find_invitation($1)"
OPEN = """
SELECT email, role FROM invitations
WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2 FOR UPDATE
"""
USE = "UPDATE invitations SET accepted_at = $2, accepted_by = $3 WHERE id = $1"
JOIN = """
INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING RETURNING user_id
"""
SUBJECT = "You are invited to {tenant} on Berth"
BODY = """{inviter} invited you to join {tenant} on Berth as {role}.

Accept within 7 days with this link. It works once.

{link}

If you do not know why you got this, ignore it: nothing happens without the link.
"""


@dataclass(frozen=True)
class Invitation:
    id: UUID
    email: str
    role: str
    invited_by: str
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class Accepted:
    tenant_id: UUID
    user_id: UUID
    email: str
    role: str


def _check_email(email: str) -> str:
    email = email.strip()
    if not 3 <= len(email) <= 320 or "@" not in email[1:-1]:
        raise InvalidEmail("email is not a valid address")
    return email


async def invite(ctx: Context, caller: Caller, email: str, role: str,
                 link_for: Callable[[str], str]) -> tuple[Invitation, Mail]:
    email, wanted = _check_email(email), parse_role(role)
    token, invitation_id = secrets.token_urlsafe(32), uuid.uuid4()
    expires = ctx.clock() + TTL
    async with transaction(ctx, caller.tenant_id) as conn:
        acting = await check(conn, caller, Permission.MEMBERS)
        if wanted == Role.OWNER:
            require(acting, Permission.OWNERSHIP)
        created = await conn.fetchval(INSERT, invitation_id, caller.tenant_id, email, wanted.value,
                                      tokens.digest(token, ctx.pepper), caller.actor, expires)
        tenant = await conn.fetchval(TENANT_NAME, caller.tenant_id)
        await audit.record(conn, caller, "invitation.create", invitation_id, detail={"role": wanted.value})
    text = BODY.format(inviter=caller.actor, tenant=tenant, role=wanted.value, link=link_for(token))
    mail = Mail(email, SUBJECT.format(tenant=tenant), text)
    return Invitation(invitation_id, email, wanted.value, caller.actor, created, expires), mail


async def list_invitations(ctx: Context, caller: Caller) -> list[Invitation]:
    """The newest 200, pending or not."""
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.MEMBERS)
        rows = await conn.fetch(LIST, caller.tenant_id)
    return [Invitation(**dict(r)) for r in rows]


async def withdraw(ctx: Context, caller: Caller, invitation_id: UUID) -> None:
    """Its link stops working; an accepted invitation is ``NotFound`` (remove the member instead)."""
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.MEMBERS)
        if await conn.fetchval(WITHDRAW, invitation_id, caller.tenant_id, ctx.clock()) is None:
            raise NotFound("no such pending invitation")
        await audit.record(conn, caller, "invitation.withdraw", invitation_id)


async def _account(conn: asyncpg.Connection, email: str, password_hash: str | None) -> UUID:
    user_id: UUID | None = await conn.fetchval(FIND_USER, email)
    if user_id is not None:
        return user_id
    if password_hash is None:
        raise PasswordRequired("a new account needs a password")
    user_id = uuid.uuid4()
    await conn.execute(NEW_USER, user_id, email, password_hash)
    return user_id


async def accept(ctx: Context, token: str, *, password: str | None = None,
                 request_id: str | None = None) -> Accepted:
    if password is not None and not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise WeakPassword(f"password must be {MIN_LENGTH} to {MAX_LENGTH} characters")
    password_hash = await ctx.passwords.hash(password) if password else None
    bad = InvalidInvitation("this invitation is used, expired, withdrawn or unknown")
    if not token or len(token) > MAX_TOKEN:
        raise bad
    async with transaction(ctx, None) as conn:
        found = await conn.fetchrow(FIND, tokens.digest(token, ctx.pepper))
        if found is None:
            raise bad
        await conn.execute(PIN_TENANT, str(found["tenant_id"]))
        row = await conn.fetchrow(OPEN, found["id"], ctx.clock())
        if row is None:
            raise bad
        user_id = await _account(conn, row["email"], password_hash)
        if await conn.fetchval(JOIN, found["tenant_id"], user_id, row["role"]) is None:
            raise AlreadyMember("already a member of that tenant")
        await conn.execute(USE, found["id"], ctx.clock(), user_id)
        caller = Caller(found["tenant_id"], f"user:{user_id}", request_id, user_id)
        await audit.record(conn, caller, "invitation.accept", found["id"], detail={"role": row["role"]})
    return Accepted(found["tenant_id"], user_id, row["email"], row["role"])
