"""/v1/endpoints/{id}/tokens: agent tokens, shown once; revoke and rotate."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from control_plane.api.deps import Ctx, Who
from control_plane.api.schemas import TokenCreated, TokenIn, TokenOut
from control_plane.services import endpoint_tokens

router = APIRouter(prefix="/endpoints/{endpoint_id}/tokens", tags=["tokens"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TokenCreated)
async def issue(endpoint_id: UUID, body: TokenIn, ctx: Ctx, caller: Who) -> endpoint_tokens.IssuedToken:
    return await endpoint_tokens.issue(ctx, caller, endpoint_id, body.name, body.scopes, body.expires_in)


@router.get("", response_model=list[TokenOut])
async def list_tokens(endpoint_id: UUID, ctx: Ctx, caller: Who) -> list[endpoint_tokens.TokenInfo]:
    return await endpoint_tokens.list_tokens(ctx, caller, endpoint_id)


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke(endpoint_id: UUID, token_id: UUID, ctx: Ctx, caller: Who) -> Response:
    await endpoint_tokens.revoke(ctx, caller, endpoint_id, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{token_id}/rotate", status_code=status.HTTP_201_CREATED, response_model=TokenCreated)
async def rotate(endpoint_id: UUID, token_id: UUID, ctx: Ctx, caller: Who) -> endpoint_tokens.IssuedToken:
    return await endpoint_tokens.rotate(ctx, caller, endpoint_id, token_id)
