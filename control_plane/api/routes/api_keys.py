"""/v1/api-keys: further control-plane keys for the caller's tenant."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response, status

from control_plane.api import paging
from control_plane.api.deps import Ctx, Who
from control_plane.api.openapi import AUTH, BODY, QUERY, responses
from control_plane.api.schemas import ApiKeyCreated, ApiKeyIn, ApiKeyOut
from control_plane.errors import InvalidCursor, InvalidName, NotFound
from control_plane.services import api_keys

router = APIRouter(prefix="/api-keys", tags=["api keys"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ApiKeyCreated,
             operation_id="createApiKey", summary="Create an API key (shown once)",
             responses=responses(*BODY, *AUTH, InvalidName))
async def create(body: ApiKeyIn, ctx: Ctx, caller: Who) -> api_keys.NewApiKey:
    return await api_keys.create(ctx, caller, body.name)


@router.get("", response_model=list[ApiKeyOut], operation_id="listApiKeys",
            summary="List the tenant's API keys, oldest first",
            responses={**paging.LINK_HEADER, **responses(*QUERY, *AUTH, InvalidCursor)})
async def list_keys(ctx: Ctx, caller: Who, request: Request, response: Response, limit: paging.Limit = 100,
                    cursor: paging.CursorQuery = None) -> list[api_keys.ApiKeyInfo]:
    found = await api_keys.list_keys(ctx, caller, limit=limit, after=paging.decode(cursor))
    paging.link_next(request, response, found, limit)
    return found


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="revokeApiKey",
               summary="Revoke an API key", responses=responses(*QUERY, *AUTH, NotFound))
async def revoke(key_id: UUID, ctx: Ctx, caller: Who) -> Response:
    await api_keys.revoke(ctx, caller, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
