"""DELETE /v1/account: the owner ends the tenant; everything stops at once, the worker tears down."""

from __future__ import annotations

from fastapi import APIRouter, status

from control_plane.api.deps import Ctx, Who
from control_plane.api.openapi import AUTH, BODY, responses
from control_plane.api.schemas import AccountDeleted, AccountDeleteIn
from control_plane.catalog.tenants import TenantStatus
from control_plane.errors import InvalidCredentials, OwnerRequired, ReauthenticationRequired
from control_plane.services import accounts

router = APIRouter(tags=["account"])


@router.delete("/account", status_code=status.HTTP_202_ACCEPTED, response_model=AccountDeleted,
               operation_id="deleteAccount", summary="Delete the account, every endpoint and its data",
               responses=responses(*BODY, *AUTH, InvalidCredentials, OwnerRequired,
                                   ReauthenticationRequired))
async def delete_account(ctx: Ctx, caller: Who, body: AccountDeleteIn | None = None) -> dict[str, object]:
    # No Location: every credential of the tenant is revoked in this call, so nothing could follow it.
    await accounts.authorize_deletion(ctx, caller, password=body.password if body else None)
    return {"status": TenantStatus.DELETING, "job_id": await accounts.delete_account(ctx, caller)}
