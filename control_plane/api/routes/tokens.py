"""/v1/endpoints/{endpoint}/tokens: agent tokens, shown once; revoke and rotate. By id or slug."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response, status

from control_plane.api import paging
from control_plane.api.deps import Ctx, Who
from control_plane.api.openapi import AUTH, BODY, QUERY, responses
from control_plane.api.routes.endpoints import Ref
from control_plane.api.schemas import TokenCreated, TokenIn, TokenOut
from control_plane.errors import (
    EndpointNotLive,
    InvalidCursor,
    InvalidExpiry,
    InvalidName,
    InvalidScopes,
    NotFound,
    TokenRevoked,
)
from control_plane.services import endpoint_tokens

router = APIRouter(prefix="/endpoints/{endpoint}/tokens", tags=["tokens"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TokenCreated,
             operation_id="issueToken", summary="Issue an agent token for an endpoint (shown once)",
             responses=responses(*BODY, *AUTH, InvalidName, InvalidScopes, InvalidExpiry,
                                 NotFound, EndpointNotLive))
async def issue(endpoint: Ref, body: TokenIn, ctx: Ctx, caller: Who) -> endpoint_tokens.IssuedToken:
    return await endpoint_tokens.issue(ctx, caller, endpoint, body.name, body.scopes, body.expires_in)


@router.get("", response_model=list[TokenOut], operation_id="listTokens",
            summary="List an endpoint's agent tokens, oldest first",
            responses={**paging.LINK_HEADER, **responses(*QUERY, *AUTH, InvalidCursor, NotFound)})
async def list_tokens(endpoint: Ref, ctx: Ctx, caller: Who, request: Request, response: Response,
                      limit: paging.Limit = 100,
                      cursor: paging.CursorQuery = None) -> list[endpoint_tokens.TokenInfo]:
    found = await endpoint_tokens.list_tokens(ctx, caller, endpoint, limit=limit, after=paging.decode(cursor))
    paging.link_next(request, response, found, limit)
    return found


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="revokeToken",
               summary="Revoke an agent token", responses=responses(*QUERY, *AUTH, NotFound))
async def revoke(endpoint: Ref, token_id: UUID, ctx: Ctx, caller: Who) -> Response:
    await endpoint_tokens.revoke(ctx, caller, endpoint, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{token_id}/rotate", status_code=status.HTTP_201_CREATED, response_model=TokenCreated,
             operation_id="rotateToken", summary="Rotate an agent token: a new one, the old one revoked",
             responses=responses(*QUERY, *AUTH, NotFound, TokenRevoked, EndpointNotLive))
async def rotate(endpoint: Ref, token_id: UUID, ctx: Ctx, caller: Who) -> endpoint_tokens.IssuedToken:
    return await endpoint_tokens.rotate(ctx, caller, endpoint, token_id)
