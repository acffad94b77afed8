"""Endpoints: create (idempotent), list, get, delete; the worker does the provider work.

Entry points: ``create(ctx, caller, name, plan=, region=, idempotency_key=)``
inserts the row, its ``provision`` job and an audit row in one transaction (the
plan defaults to the tenant's; a higher one is ``PlanNotAllowed``);
``list_endpoints``, ``get`` (each with its settings, which
``endpoint_settings`` changes); ``delete(ctx, caller, endpoint_id)`` marks it
deleting, revokes its tokens and enqueues ``delete_endpoint``. Another tenant's
endpoint is ``NotFound``, exactly like a missing one.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from control_plane.catalog import endpoints
from control_plane.catalog.endpoints import ENDING, EndpointStatus
from control_plane.catalog.jobs import Kind, enqueue
from control_plane.errors import (
    IdempotencyMismatch,
    InvalidIdempotencyKey,
    InvalidName,
    InvalidRegion,
    NotFound,
    PlanNotAllowed,
    UnknownPlan,
)
from control_plane.plans import DEFAULT_PLAN, PLANS, rank
from control_plane.redis.invalidation import publish
from control_plane.services import audit, paging, usage
from control_plane.services.context import Caller, Context, transaction
from control_plane.services.permissions import Permission, check

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
REGION = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
SLUG_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
VIEW_FIELDS = ("id", "slug", "name", "plan", "region", "status", "failure_reason", "created_at",
               "allow_writes", "public_docs", "tool_cap")

COLUMNS = ("id, slug, name, plan, region, status, failure_reason, created_at, request_digest, "
           "allow_writes, public_docs, tool_cap")
INSERT = f"""
INSERT INTO endpoints (id, tenant_id, slug, name, plan, region, provider, idempotency_key, request_digest)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING {COLUMNS}
"""
BY_KEY = f"SELECT {COLUMNS} FROM endpoints WHERE tenant_id = $1 AND idempotency_key = $2"
ONE = f"SELECT {COLUMNS} FROM endpoints WHERE id = $1 AND tenant_id = $2"
# Paging binds $2 to $4 (see paging.AFTER), so the status left out is $5.
ALL = f"SELECT {COLUMNS} FROM endpoints WHERE tenant_id = $1 AND status <> $5 " + paging.AFTER
TENANT_PLAN = "SELECT plan FROM tenants WHERE id = $1"
FIND = "SELECT id FROM endpoints WHERE tenant_id = $1 AND (id = $2 OR slug = $3)"
LOCK = f"SELECT {COLUMNS} FROM endpoints WHERE id = $1 AND tenant_id = $2 FOR UPDATE"


Ref = UUID | str  # an endpoint's id, or its slug (as in its MCP URL)


@dataclass(frozen=True)
class Endpoint:
    id: UUID
    slug: str
    name: str
    plan: str
    region: str | None
    status: str
    failure_reason: str | None
    created_at: datetime
    allow_writes: bool
    public_docs: bool
    tool_cap: int
    mcp_url: str
    calls_this_month: int = 0


def view(ctx: Context, row: asyncpg.Record | dict[str, Any], calls: int = 0) -> Endpoint:
    fields = {k: row[k] for k in VIEW_FIELDS}
    return Endpoint(**fields, mcp_url=f"{ctx.base_url}/e/{row['slug']}/mcp", calls_this_month=calls)


def _validate(name: str, plan: str | None, region: str | None) -> None:
    if not NAME.match(name):
        raise InvalidName("name must be 1-63 of a-z, 0-9 and '-', starting with a letter or digit")
    if plan is not None and plan not in PLANS:
        raise UnknownPlan(f"unknown plan; choose one of {', '.join(PLANS)}")
    if region is not None and not REGION.match(region):
        raise InvalidRegion("region must be 1-40 of a-z, 0-9 and '-'")


async def _entitled(conn: asyncpg.Connection, caller: Caller, asked: str | None) -> str:
    """The plan an endpoint gets: the tenant's, or a lower one asked for; more is ``PlanNotAllowed``."""
    allowed = await conn.fetchval(TENANT_PLAN, caller.tenant_id) or DEFAULT_PLAN
    if asked is None:
        return str(allowed)
    if rank(asked) > rank(allowed):
        raise PlanNotAllowed(f"the account's plan is {allowed}; an endpoint cannot be {asked}")
    return asked


def _slug(name: str) -> str:
    # ~62 bits of randomness: a slug in a URL should not be guessable from the name alone.
    return f"{name[:40].rstrip('-')}-{''.join(secrets.choice(SLUG_ALPHABET) for _ in range(12))}"


async def create(ctx: Context, caller: Caller, name: str, plan: str | None = None, region: str | None = None,
                 *, idempotency_key: str | None = None) -> Endpoint:
    validate(name, plan, region, idempotency_key)
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.ENDPOINTS)
        row, _ = await insert(conn, ctx, caller, name, plan, region, idempotency_key=idempotency_key)
    return view(ctx, row)


def validate(name: str, plan: str | None, region: str | None, idempotency_key: str | None) -> None:
    _validate(name, plan, region)
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
        raise InvalidIdempotencyKey("Idempotency-Key must be 1 to 200 characters")


async def insert(conn: asyncpg.Connection, ctx: Context, caller: Caller, name: str, plan: str | None,
                 region: str | None, *, idempotency_key: str | None,
                 carries: tuple[str, ...] = ()) -> tuple[asyncpg.Record, bool]:
    """The endpoint's row, ``provision`` job and audit row in the caller's transaction; True when made now.

    A replayed Idempotency-Key returns the row it made (False); ``carries`` names what else the
    request held (a file), so the same key with or without one is another body.
    """
    endpoint_id = uuid.uuid4()
    plan = await _entitled(conn, caller, plan)
    request_digest = hashlib.sha256(orjson.dumps([name, plan, region, *carries])).digest()
    row = await conn.fetchrow(INSERT, endpoint_id, caller.tenant_id, _slug(name), name, plan, region,
                              ctx.provider_name, idempotency_key, request_digest)
    if row is None:  # the key was used before: same body replays, another body conflicts
        row = await conn.fetchrow(BY_KEY, caller.tenant_id, idempotency_key)
        if row is None or row["request_digest"] != request_digest:
            raise IdempotencyMismatch("Idempotency-Key was used with a different body")
        return row, False
    await enqueue(conn, Kind.PROVISION, {"endpoint_id": str(endpoint_id)}, tenant_id=caller.tenant_id)
    await audit.record(conn, caller, "endpoint.create", endpoint_id, endpoint_id=endpoint_id,
                       detail={"plan": plan})
    return row, True


def _this_month(ctx: Context) -> date:
    now = ctx.clock()
    return date(now.year, now.month, 1)


async def resolve(conn: asyncpg.Connection, caller: Caller, ref: Ref) -> UUID:
    """The id of the caller's endpoint named by id or slug; another tenant's is ``NotFound``."""
    if isinstance(ref, UUID):
        return ref
    try:
        as_id: UUID | None = UUID(ref)
    except ValueError:
        as_id = None
    found: UUID | None = await conn.fetchval(FIND, caller.tenant_id, as_id, ref)
    if found is None:
        raise NotFound("no such endpoint")
    return found


async def list_endpoints(ctx: Context, caller: Caller, *, limit: int | None = None,
                         after: paging.Position | None = None) -> list[Endpoint]:
    """Live endpoints, oldest first; at most ``limit`` after ``after`` (all without a limit)."""
    async with transaction(ctx, caller.tenant_id) as conn:
        rows = await conn.fetch(ALL, caller.tenant_id, *paging.bind(after, limit), EndpointStatus.DELETED)
        counts = await usage.calls(ctx, conn, [r["id"] for r in rows], _this_month(ctx))
    return [view(ctx, r, counts[r["id"]]) for r in rows]


async def get(ctx: Context, caller: Caller, endpoint: Ref) -> Endpoint:
    async with transaction(ctx, caller.tenant_id) as conn:
        endpoint_id = await resolve(conn, caller, endpoint)
        row = await conn.fetchrow(ONE, endpoint_id, caller.tenant_id)
        if row is None:
            raise NotFound("no such endpoint")
        counts = await usage.calls(ctx, conn, [endpoint_id], _this_month(ctx))
    return view(ctx, row, counts[endpoint_id])


async def delete(ctx: Context, caller: Caller, endpoint: Ref) -> Endpoint:
    """``-> deleting``; tokens stop working at once, the worker drops the database. Safe to repeat."""
    async with transaction(ctx, caller.tenant_id) as conn:
        await check(conn, caller, Permission.ENDPOINTS)
        endpoint_id = await resolve(conn, caller, endpoint)
        row = await conn.fetchrow(LOCK, endpoint_id, caller.tenant_id)
        if row is None:
            raise NotFound("no such endpoint")
        if row["status"] in ENDING:
            return view(ctx, row)
        moved = await endpoints.start_delete(conn, endpoint_id, ctx.clock())
        await enqueue(conn, Kind.DELETE_ENDPOINT, {"endpoint_id": str(endpoint_id)},
                      tenant_id=caller.tenant_id)
        await audit.record(conn, caller, "endpoint.delete", endpoint_id, endpoint_id=endpoint_id)
    await publish(ctx.redis, *moved.messages)
    return view(ctx, {**dict(row), "status": EndpointStatus.DELETING})
