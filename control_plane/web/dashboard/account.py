"""The account page: API keys (create, shown once; revoke) and deleting the account (password again)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from control_plane.services import accounts, api_keys
from control_plane.web import session
from control_plane.web.dashboard.access import Visit, guarded

router = APIRouter(include_in_schema=False)


async def account_view(visit: Visit, status: int = 200, **extra: object) -> Response:
    keys = await api_keys.list_keys(visit.ctx, visit.caller)
    return visit.show("app/account.html", status, keys=keys, **({"new_key": None, "notice": None} | extra))


@router.get("/app/account")
async def account_page(request: Request) -> Response:
    return await guarded(request, account_view)


@router.post("/app/account/keys")
async def create_key(request: Request) -> Response:
    async def run(visit: Visit) -> Response:
        made = await api_keys.create(visit.ctx, visit.caller, visit.text("name") or "dashboard")
        return await account_view(visit, 201, new_key=made)
    return await guarded(request, run)


@router.post("/app/account/keys/{key_id}/revoke")
async def revoke_key(request: Request, key_id: UUID) -> Response:
    async def run(visit: Visit) -> Response:
        await api_keys.revoke(visit.ctx, visit.caller, key_id)
        return await account_view(visit, notice="API key revoked. Programs using it are refused from now on.")
    return await guarded(request, run)


@router.post("/app/account/delete")
async def delete_account(request: Request) -> Response:
    async def run(visit: Visit) -> Response:
        await accounts.authorize_deletion(visit.ctx, visit.caller, password=visit.text("password"))
        await accounts.delete_account(visit.ctx, visit.caller)
        response = visit.show("message.html", title="Account deleted",
                              message="Your account, its endpoints and their data are being deleted. "
                                      "Every token and key stopped working just now.")
        await session.sign_out(request, response, visit.web)
        return response
    return await guarded(request, run)
