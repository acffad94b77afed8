"""The tools an agent sees: the endpoint's manifest, read from the gateway over HTTP like any client would.

The control plane does not import the gateway's tool generator; it asks the
gateway for ``/e/<slug>/manifest.json``. Without public docs that needs a
token of the endpoint, so the preview is a button: it issues a read token
that lives a minute, reads the manifest, and revokes the token (both are in
the audit log, named ``dashboard preview``).
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, Request
from starlette.responses import Response

from control_plane.errors import Unavailable
from control_plane.services import endpoint_settings, endpoint_tokens, endpoints
from control_plane.web.dashboard.access import Visit, guarded

router = APIRouter(include_in_schema=False)
TIMEOUT = httpx.Timeout(10.0, connect=3.0)
PREVIEW = "dashboard preview"


async def _fetch(url: str, token: str | None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as http:
            answer = await http.get(url, headers=headers)
        answer.raise_for_status()
        found: dict[str, Any] = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise Unavailable("the gateway did not answer with the endpoint's tools; try again shortly") from exc
    return found


async def manifest(visit: Visit, ref: str) -> dict[str, Any]:
    found = await endpoints.get(visit.ctx, visit.caller, ref)
    url = found.mcp_url.removesuffix("/mcp") + "/manifest.json"
    if (await endpoint_settings.read(visit.ctx, visit.caller, found.id)).public_docs:
        return await _fetch(url, None)
    token = await endpoint_tokens.issue(visit.ctx, visit.caller, found.id, PREVIEW, ["mcp"], 60)
    try:
        return await _fetch(url, token.token)
    finally:
        await endpoint_tokens.revoke(visit.ctx, visit.caller, found.id, token.id)


@router.post("/app/endpoints/{ref}/tools")
async def preview(request: Request, ref: str) -> Response:
    async def run(visit: Visit) -> Response:
        found = await endpoints.get(visit.ctx, visit.caller, ref)
        doc = await manifest(visit, ref)
        return visit.show("app/tools.html", endpoint=found, tools=doc.get("tools") or [],
                          tables=doc.get("tables") or [])
    return await guarded(request, run)
