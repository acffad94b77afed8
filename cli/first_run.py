"""`berth dev`'s first run: a demo tenant, an endpoint with sample data, a token, and how to connect.

Runs before the server starts, through the same service layer as the API. On an
empty catalog it creates everything and prints the token once; on later starts
it prints the URLs and how to issue a new token.
"""

from __future__ import annotations

import secrets
from importlib import resources
from uuid import UUID

import asyncpg

from cli.context import Operator, operator
from cli.welcome import connect_lines, dashboard_lines, later_lines
from control_plane.plans import PlanName
from control_plane.sealing import Sealed
from control_plane.services import endpoint_tokens, endpoints, identity, lifecycle
from control_plane.services.context import Caller
from control_plane.services.operator import set_plan
from control_plane.settings import Settings

DEMO_EMAIL = "demo@berth.localhost"
DEMO_ENDPOINT = "shop"
ANY_TENANT = "SELECT EXISTS (SELECT FROM tenants)"
READY = """
SELECT name, slug FROM endpoints WHERE status = 'ready' ORDER BY created_at LIMIT 20
"""
OWNER_DSN = "SELECT seal_key_id, sealed_owner_dsn FROM endpoints WHERE id = $1"


async def welcome(settings: Settings) -> list[str]:
    """What to print before serving: a fresh demo on first run, the URLs afterwards."""
    async with operator(settings) as op:
        if await op.worker.fetchval(ANY_TENANT):
            rows = await op.worker.fetch(READY)
            found = later_lines([(r["name"], _mcp_url(settings, r["slug"])) for r in rows])
            return ["Endpoints:", *found, *dashboard_lines(settings.base_url, DEMO_EMAIL)]
        return [*await _first_run(op), *dashboard_lines(settings.base_url, DEMO_EMAIL)]


def _mcp_url(settings: Settings, slug: str) -> str:
    return f"{settings.gateway_base_url}/e/{slug}/mcp"


async def _first_run(op: Operator) -> list[str]:
    ctx = op.services
    account = await identity.signup(ctx, DEMO_EMAIL, secrets.token_urlsafe(18), "Demo")
    caller = Caller(account.tenant_id, op.actor)
    await set_plan(op.worker, op.redis, account.tenant_id, PlanName.PRO, op.actor)
    endpoint = await endpoints.create(ctx, caller, DEMO_ENDPOINT)
    await lifecycle.provision_endpoint(op.worker, op.provider, op.sealer, op.redis, endpoint.id)
    await _load_sample(op, endpoint.id)
    token = await endpoint_tokens.issue(ctx, caller, endpoint.id, "demo agent", ["mcp"])
    return [
        "First run: made a demo tenant and the endpoint 'shop' with sample data",
        "(customers, products, orders, order_items).",
        f"  control-plane API key: {account.api_key.key}   (shown once)",
        *connect_lines(f"berth-{DEMO_ENDPOINT}", endpoint.mcp_url, token.token, endpoint.slug),
    ]


async def _load_sample(op: Operator, endpoint_id: UUID) -> None:
    row = await op.worker.fetchrow(OWNER_DSN, endpoint_id)
    dsn = op.sealer.open_dsn(Sealed(row["seal_key_id"], row["sealed_owner_dsn"]), endpoint_id, "owner")
    sql = resources.files("cli").joinpath("demo.sql").read_text()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()
