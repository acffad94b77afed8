"""/v1/api-keys: further control-plane keys for the caller's tenant."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from control_plane.api.deps import Ctx, Who
from control_plane.api.schemas import ApiKeyCreated, ApiKeyIn, ApiKeyOut
from control_plane.services import api_keys

router = APIRouter(prefix="/api-keys", tags=["api keys"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ApiKeyCreated)
async def create(body: ApiKeyIn, ctx: Ctx, caller: Who) -> api_keys.NewApiKey:
    return await api_keys.create(ctx, caller, body.name)


@router.get("", response_model=list[ApiKeyOut])
async def list_keys(ctx: Ctx, caller: Who) -> list[api_keys.ApiKeyInfo]:
    return await api_keys.list_keys(ctx, caller)


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke(key_id: UUID, ctx: Ctx, caller: Who) -> Response:
    await api_keys.revoke(ctx, caller, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
