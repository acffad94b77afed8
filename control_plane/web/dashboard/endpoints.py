"""The endpoints list, an endpoint's page, its settings, deleting it (creating one: ``new_endpoint.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from control_plane.catalog.endpoints import ENDING
from control_plane.catalog.tenancy import OPEN_SHARES
from control_plane.errors import InvalidInput
from control_plane.imports.store import Import
from control_plane.oauth import grants
from control_plane.plans import PLANS
from control_plane.services import endpoint_settings, endpoint_tokens, endpoints, imports, sharing
from control_plane.services.endpoint_settings import EndpointSettings
from control_plane.web.dashboard.access import Visit, guarded
from control_plane.web.dashboard.connect import snippets
from control_plane.web.render import see_other

router = APIRouter(include_in_schema=False)
HISTORY = 20
STATE_IMPORTS = 5  # the imports state.json reports, and the page's signature covers


def quota(plan: str) -> int | None:
    return PLANS[plan].monthly_calls if plan in PLANS else None


async def endpoint_view(visit: Visit, ref: str, status: int = 200, **extra: object) -> Response:
    """The endpoint page; ``extra`` carries what a POST shows once (a new token, a notice)."""
    found = await endpoints.get(visit.ctx, visit.caller, ref)
    live = found.status not in ENDING
    history = await imports.list_imports(visit.ctx, visit.caller, found.id, limit=HISTORY)
    return visit.show(
        "app/endpoint.html", status, endpoint=found, quota=quota(found.plan), snippets=snippets(found.slug,
                                                                                              found.mcp_url),
        tokens=await endpoint_tokens.list_tokens(visit.ctx, visit.caller, found.id) if live else [],
        imports=history, signature=signature(found.status, history),
        settings=await endpoint_settings.read(visit.ctx, visit.caller, found.id),
        apps=[g for g in await grants.list_grants(visit.ctx, visit.caller) if g.endpoint_id == found.id],
        **({"new_token": None, "notice": None} | extra))


@router.get("/")
async def home() -> Response:
    return see_other("/app")


async def list_view(visit: Visit, status: int = 200, **extra: object) -> Response:
    """The endpoints list; ``extra`` carries the create form's refusal (``error``) and the ``name`` typed."""
    found = await endpoints.list_endpoints(visit.ctx, visit.caller)
    incoming = [s for s in await sharing.list_shares(visit.ctx, visit.caller)
                if s.direction == "incoming" and s.status in OPEN_SHARES]
    return visit.show("app/endpoints.html", status, endpoints=found,
                      quotas={e.id: quota(e.plan) for e in found}, month=date.today().strftime("%B %Y"),
                      shared=incoming, **({"error": None, "name": ""} | extra))


@router.get("/app")
async def endpoint_list(request: Request) -> Response:
    return await guarded(request, list_view)


@router.get("/app/endpoints/{ref}")
async def endpoint_page(request: Request, ref: str) -> Response:
    async def run(visit: Visit) -> Response:
        return await endpoint_view(visit, ref)
    return await guarded(request, run)


def signature(status: str, history: Sequence[Import]) -> str:
    """What the page shows, as its script computes it from state.json: a change means reload.

    Rendered into the page, so an import that finishes before the script's first poll still counts
    as a change from what the page shows.
    """
    recent = [f"{i.id}:{i.state}" for i in history[:STATE_IMPORTS]]
    return "|".join([status, *recent])


@router.get("/app/endpoints/{ref}/state.json")
async def state(request: Request, ref: str) -> Response:
    """What the page's script polls: the endpoint's status and its latest imports' progress."""
    async def run(visit: Visit) -> Response:
        found = await endpoints.get(visit.ctx, visit.caller, ref)
        recent = await imports.list_imports(visit.ctx, visit.caller, found.id, limit=STATE_IMPORTS)
        return JSONResponse({
            "status": found.status,
            "imports": [{"id": str(i.id), "state": i.state, "bytes_total": i.bytes_total,
                         "bytes_done": i.bytes_done, "rows_done": i.rows_done} for i in recent],
        }, headers={"Cache-Control": "no-store"})
    return await guarded(request, run)


def _settings(visit: Visit) -> EndpointSettings:
    cap = visit.text("tool_cap")
    if not cap.isdigit():
        raise InvalidInput("the tool cap must be a whole number from 0 to 200")
    return EndpointSettings(visit.text("allow_writes") == "yes", visit.text("public_docs") == "yes", int(cap))


@router.post("/app/endpoints/{ref}/settings")
async def save_settings(request: Request, ref: str) -> Response:
    async def run(visit: Visit) -> Response:
        await endpoint_settings.update(visit.ctx, visit.caller, ref, _settings(visit))
        return await endpoint_view(visit, ref, notice="Settings saved. Agents see the change within seconds.")
    return await guarded(request, run)


@router.post("/app/endpoints/{ref}/delete")
async def delete(request: Request, ref: str) -> Response:
    async def run(visit: Visit) -> Response:
        found = await endpoints.get(visit.ctx, visit.caller, ref)
        if visit.text("confirm") != found.name:
            raise InvalidInput(f"type the endpoint's name, {found.name}, to delete it")
        await endpoints.delete(visit.ctx, visit.caller, found.id)
        return see_other("/app")
    return await guarded(request, run)
