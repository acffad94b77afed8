"""`berth dev`'s first run: a demo tenant, an endpoint with sample data, a token, and how to connect.

Runs before the server starts, through the same service layer as the API. On an
empty catalog it creates everything and prints the token once; on later starts
it prints the URLs and how to issue a new token.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from importlib import resources
from uuid import UUID

from cli.context import Operator, operator
from cli.welcome import connect_lines, dashboard_lines, later_lines
from control_plane.catalog.endpoints import EndpointStatus
from control_plane.imports.spool import spool_dir
from control_plane.imports.store import State
from control_plane.operator import set_plan
from control_plane.plans import PlanName
from control_plane.services import endpoint_tokens, endpoints, identity, imports
from control_plane.services.context import Caller
from control_plane.settings import Settings
from jobs.handlers.imports import write_guard
from jobs.steps import lifecycle
from jobs.steps.imports import run_import

DEMO_EMAIL = "demo@berth.localhost"
DEMO_ENDPOINT = "shop"
ANY_TENANT = "SELECT EXISTS (SELECT FROM tenants)"
READY = """
SELECT name, slug FROM endpoints WHERE status = $1 ORDER BY created_at LIMIT 20
"""


async def welcome(settings: Settings) -> list[str]:
    """What to print before serving: a fresh demo on first run, the URLs afterwards."""
    async with operator(settings) as op:
        if await op.worker.fetchval(ANY_TENANT):
            rows = await op.worker.fetch(READY, EndpointStatus.READY)
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
    await _load_sample(op, caller, endpoint.id)
    token = await endpoint_tokens.issue(ctx, caller, endpoint.id, "demo agent", ["mcp"])
    return [
        "First run: made a demo tenant and the endpoint 'shop' with sample data",
        "(customers, products, orders, order_items).",
        f"  control-plane API key: {account.api_key.key}   (shown once)",
        *connect_lines(f"berth-{DEMO_ENDPOINT}", endpoint.mcp_url, token.token, endpoint.slug),
    ]


async def _load_sample(op: Operator, caller: Caller, endpoint_id: UUID) -> None:
    """The demo's SQL script through the import path itself: spooled, judged by the write guard, replayed."""
    script = resources.files("cli").joinpath("demo.sql").read_bytes()
    upload = imports.Upload(format="sql", filename="demo.sql")
    made = await imports.start(op.services, caller, endpoint_id, upload, _once(script),
                               spool_dir=spool_dir(op.settings.data_dir))
    said = await run_import(op.worker, op.sealer, op.redis, made.id, write_guard)
    settled = await imports.get(op.services, caller, endpoint_id, made.id)
    if settled.state != State.DONE:
        raise RuntimeError(f"the demo data did not load: {said}")


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data
