"""/v1/endpoints: create (202, the worker provisions), list, get, delete (202)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, status

from control_plane.api.deps import Ctx, Who
from control_plane.api.schemas import EndpointIn, EndpointOut
from control_plane.services import endpoints

router = APIRouter(prefix="/endpoints", tags=["endpoints"])


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=EndpointOut)
async def create(
    body: EndpointIn, ctx: Ctx, caller: Who,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> endpoints.Endpoint:
    return await endpoints.create(ctx, caller, body.name, body.plan, body.region,
                                  idempotency_key=idempotency_key)


@router.get("", response_model=list[EndpointOut])
async def list_endpoints(ctx: Ctx, caller: Who) -> list[endpoints.Endpoint]:
    return await endpoints.list_endpoints(ctx, caller)


@router.get("/{endpoint_id}", response_model=EndpointOut)
async def get(endpoint_id: UUID, ctx: Ctx, caller: Who) -> endpoints.Endpoint:
    return await endpoints.get(ctx, caller, endpoint_id)


@router.delete("/{endpoint_id}", status_code=status.HTTP_202_ACCEPTED, response_model=EndpointOut)
async def delete(endpoint_id: UUID, ctx: Ctx, caller: Who) -> endpoints.Endpoint:
    return await endpoints.delete(ctx, caller, endpoint_id)
