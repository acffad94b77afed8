"""Sign-up and login: argon2id passwords, a first API key, and short-lived JWTs.

Entry points: ``signup(ctx, email, password, tenant_name, request_id=)`` makes a
tenant, its owner and a first ``bth_`` key in one transaction (``open_account``,
which a confirmed sign-up in ``signups.py`` uses too);
``login(ctx, attempt, password, tenant_id=)`` returns a JWT for one membership,
throttled per account and per client address (``login_throttle``) and audited
either way (``login.succeeded`` / ``login.failed``, never the password).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import asyncpg
import jwt

from control_plane.catalog.tenants import TenantStatus
from control_plane.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidEmail,
    InvalidName,
    NotAMember,
    TenantInactive,
    WeakPassword,
)
from control_plane.plans import DEFAULT_PLAN
from control_plane.services import api_keys, audit, login_throttle
from control_plane.services.context import Caller, Context, transaction
from control_plane.services.passwords import MAX_LENGTH, MIN_LENGTH

JWT_ALGORITHM = "HS256"
JWT_ISSUER = "berth"

EMAIL_TAKEN = "SELECT 1 FROM users WHERE lower(email) = lower($1)"
NEW_TENANT = "INSERT INTO tenants (id, name) VALUES ($1, $2)"
NEW_USER = "INSERT INTO users (id, email, password_hash) VALUES ($1, $2, $3)"
NEW_MEMBER = "INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')"
FIND_USER = "SELECT id, password_hash FROM users WHERE lower(email) = lower($1)"
MEMBERSHIPS = "SELECT tenant_id, role FROM berth_user_memberships($1)"
TENANTS_OF = """
SELECT m.tenant_id, t.name, m.role FROM berth_user_memberships($1) m, LATERAL berth_find_tenant(m.tenant_id) t
"""
PIN_TENANT = "SELECT set_config('app.current_tenant_id', $1, true)"
TENANT_STATUS = "SELECT status FROM tenants WHERE id = $1"


@dataclass(frozen=True)
class SignedUp:
    tenant_id: UUID
    tenant_name: str
    user_id: UUID
    email: str
    api_key: api_keys.NewApiKey
    plan: str = DEFAULT_PLAN


@dataclass(frozen=True)
class Attempt:
    """Who is trying to log in: the email as typed, the client's address, the request id."""

    email: str
    client: str
    request_id: str | None = None


@dataclass(frozen=True)
class AccessToken:
    access_token: str
    expires_in: int
    token_type: str = "bearer"


def check_signup(email: str, password: str, tenant_name: str) -> tuple[str, str]:
    email, tenant_name = email.strip(), tenant_name.strip()
    if not 3 <= len(email) <= 320 or "@" not in email[1:-1]:
        raise InvalidEmail("email is not a valid address")
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise WeakPassword(f"password must be {MIN_LENGTH} to {MAX_LENGTH} characters")
    if not 1 <= len(tenant_name) <= 200:
        raise InvalidName("tenant_name must be 1 to 200 characters")
    return email, tenant_name


async def signup(ctx: Context, email: str, password: str, tenant_name: str, *,
                 request_id: str | None = None) -> SignedUp:
    """The account at once: the operator's path, and the public one when Berth sends no mail.

    A taken address is 409 ``email_taken``, which tells the caller the address has an account; with
    mail, ``POST /v1/signup`` goes through ``services/signups.py`` instead and tells nothing.
    """
    email, tenant_name = check_signup(email, password, tenant_name)
    password_hash = await ctx.passwords.hash(password)
    caller = new_owner(request_id)
    async with transaction(ctx, caller.tenant_id) as conn:
        if await conn.fetchval(EMAIL_TAKEN, email):
            raise EmailTaken("an account with that email exists")
        return await open_account(conn, ctx, caller, email, password_hash, tenant_name)


def new_owner(request_id: str | None) -> Caller:
    """The caller a new account's rows are written as: a fresh tenant and its first user."""
    tenant_id, user_id = uuid.uuid4(), uuid.uuid4()
    return Caller(tenant_id, f"user:{user_id}", request_id, user_id)


async def open_account(conn: asyncpg.Connection, ctx: Context, caller: Caller, email: str,
                       password_hash: str, tenant_name: str) -> SignedUp:
    """Tenant, owner, membership and first key in ``conn``'s transaction, pinned to ``caller.tenant_id``."""
    assert caller.user_id is not None, "a new account's caller names its user"
    await conn.execute(NEW_TENANT, caller.tenant_id, tenant_name)
    await conn.execute(NEW_USER, caller.user_id, email, password_hash)
    await conn.execute(NEW_MEMBER, caller.tenant_id, caller.user_id)
    await audit.record(conn, caller, "tenant.create", caller.tenant_id)
    key = await api_keys.insert(conn, ctx, caller, "default")
    return SignedUp(caller.tenant_id, tenant_name, caller.user_id, email, key)


async def active_membership(
    conn: asyncpg.Connection, user_id: UUID, tenant_id: UUID | None
) -> tuple[UUID, str]:
    """The (tenant, role) the user acts in, pinning the transaction to it; 403 when not a member."""
    rows = await conn.fetch(MEMBERSHIPS, user_id)
    chosen = next((r for r in rows if tenant_id in (None, r["tenant_id"])), None)
    if chosen is None:
        raise NotAMember("not a member of that tenant")
    await conn.execute(PIN_TENANT, str(chosen["tenant_id"]))
    if await conn.fetchval(TENANT_STATUS, chosen["tenant_id"]) != TenantStatus.ACTIVE:
        raise TenantInactive("the account is being deleted")
    return chosen["tenant_id"], chosen["role"]


async def tenants_of(ctx: Context, user_id: UUID) -> list[tuple[UUID, str, str]]:
    """Every active tenant the user belongs to, oldest membership first: (id, name, role)."""
    async with transaction(ctx, None) as conn:
        return [(r["tenant_id"], r["name"], r["role"]) for r in await conn.fetch(TENANTS_OF, user_id)]


async def login(ctx: Context, attempt: Attempt, password: str, *,
                tenant_id: UUID | None = None) -> AccessToken:
    """A JWT for one membership; wrong password and unknown email are the same 401 in the same time."""
    user_id, tenant = await verify(ctx, attempt, password, tenant_id=tenant_id)
    return AccessToken(issue_jwt(ctx, user_id, tenant), ctx.jwt_ttl_seconds)


async def verify(ctx: Context, attempt: Attempt, password: str, *,
                 tenant_id: UUID | None = None, method: str = "password") -> tuple[UUID, UUID]:
    """The user and the tenant they act in, throttled and audited (the browser's sign-in uses it too)."""
    account, address = login_throttle.counters(attempt.email, attempt.client)
    await login_throttle.check(ctx.redis, (account, address), ctx.clock())
    async with transaction(ctx, None) as conn:
        user = await conn.fetchrow(FIND_USER, attempt.email.strip())
    if not await ctx.passwords.verify(user["password_hash"] if user else None, password[:MAX_LENGTH]):
        await login_throttle.failed(ctx.redis, (account, address), ctx.clock())
        await _audit_failure(ctx, attempt, user["id"] if user else None)
        raise InvalidCredentials("invalid email or password")
    tenant = await record_success(ctx, user["id"], attempt, tenant_id=tenant_id, method=method)
    await login_throttle.succeeded(ctx.redis, account)
    return user["id"], tenant


async def record_success(ctx: Context, user_id: UUID, attempt: Attempt, *, tenant_id: UUID | None = None,
                         method: str = "password") -> UUID:
    """Audit ``login.succeeded`` in the tenant the user acts in, which is returned (403 when none)."""
    detail = {"client": attempt.client, **({} if method == "password" else {"method": method})}
    async with transaction(ctx, None) as conn:
        tenant, _role = await active_membership(conn, user_id, tenant_id)
        await audit.write(conn, tenant, f"user:{user_id}", "login.succeeded", user_id,
                          request_id=attempt.request_id, detail=detail)
    return tenant


async def _audit_failure(ctx: Context, attempt: Attempt, user_id: UUID | None) -> None:
    """A ``login.failed`` row in each of the user's tenants, or one with no tenant for an unknown email.

    The unknown email itself is not kept: people type passwords into the email field.
    """
    detail = {"client": attempt.client}
    async with transaction(ctx, None) as conn:
        if user_id is None:
            await audit.write(conn, None, "anonymous", "login.failed", outcome="denied",
                              request_id=attempt.request_id, detail=detail)
            return
        for row in await conn.fetch(MEMBERSHIPS, user_id):
            await conn.execute(PIN_TENANT, str(row["tenant_id"]))
            await audit.write(conn, row["tenant_id"], f"user:{user_id}", "login.failed", user_id,
                              outcome="denied", request_id=attempt.request_id, detail=detail)


def issue_jwt(ctx: Context, user_id: UUID, tenant_id: UUID) -> str:
    now = ctx.clock()
    claims = {
        "iss": JWT_ISSUER, "sub": str(user_id), "tid": str(tenant_id),
        "iat": int(now.timestamp()), "exp": int((now + timedelta(seconds=ctx.jwt_ttl_seconds)).timestamp()),
    }
    return jwt.encode(claims, ctx.jwt_key, algorithm=JWT_ALGORITHM)
