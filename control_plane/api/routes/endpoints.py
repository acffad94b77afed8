"""/v1/endpoints: create (202, the worker provisions; with a file: endpoint_files.py), list, get, settings,
delete (202); by id or slug."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response, status

from control_plane.api import paging
from control_plane.api.deps import Ctx, Who
from control_plane.api.fields import EndpointRef, IdempotencyKey
from control_plane.api.openapi import AUTH, BODY, QUERY, header, responses
from control_plane.api.routes import endpoint_files
from control_plane.api.schemas import EndpointFromFileOut, EndpointIn, EndpointOut, EndpointSettingsIn
from control_plane.errors import (
    BadRequest,
    IdempotencyMismatch,
    ImportTooLarge,
    InvalidCursor,
    InvalidName,
    InvalidRegion,
    NotFound,
    PlanNotAllowed,
    UnknownFormat,
    UnknownPlan,
)
from control_plane.services import endpoint_settings, endpoints

router = APIRouter(prefix="/endpoints", tags=["endpoints"])

CREATE_ERRORS = (InvalidName, UnknownPlan, InvalidRegion, PlanNotAllowed, IdempotencyMismatch)
FILE_ERRORS = (BadRequest, ImportTooLarge, UnknownFormat)  # with a file (multipart) only
Ref = Annotated[EndpointRef, Path(description="the endpoint's id or slug")]
LOCATION = header(202, "Location", "the endpoint, to follow its status (with a file: its import)")


def _located(response: Response, endpoint: endpoints.Endpoint) -> endpoints.Endpoint:
    response.headers["Location"] = f"/v1/endpoints/{endpoint.id}"
    return endpoint


async def create(
    body: EndpointIn, ctx: Ctx, caller: Who, response: Response,
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> endpoints.Endpoint:
    """A JSON body makes an empty endpoint. A ``multipart/form-data`` body with the same fields and a
    ``file`` part (plus ``table``, ``format`` and the CSV options) makes it and loads the file once it
    is ready: the answer adds ``import``, and ``Location`` names that import. A failed import leaves
    the endpoint ready and empty, the import listed as failed."""
    made = await endpoints.create(ctx, caller, body.name, body.plan, body.region,
                                  idempotency_key=idempotency_key)
    return _located(response, made)


router.add_api_route(
    "", create, methods=["POST"], status_code=status.HTTP_202_ACCEPTED,
    response_model=EndpointOut | EndpointFromFileOut, operation_id="createEndpoint",
    summary="Create an endpoint (its database is provisioned next), optionally from a file",
    responses={**LOCATION, **responses(*BODY, *AUTH, *CREATE_ERRORS, *FILE_ERRORS)},
    openapi_extra=endpoint_files.form_body(), route_class_override=endpoint_files.JsonOrForm)


@router.get("", response_model=list[EndpointOut], operation_id="listEndpoints",
            summary="List the tenant's live endpoints, oldest first",
            responses={**paging.LINK_HEADER, **responses(*QUERY, *AUTH, InvalidCursor)})
async def list_endpoints(ctx: Ctx, caller: Who, request: Request, response: Response,
                         limit: paging.Limit = 100,
                         cursor: paging.CursorQuery = None) -> list[endpoints.Endpoint]:
    found = await endpoints.list_endpoints(ctx, caller, limit=limit, after=paging.decode(cursor))
    paging.link_next(request, response, found, limit)
    return found


@router.get("/{endpoint}", response_model=EndpointOut, operation_id="getEndpoint",
            summary="Show one endpoint with this month's calls",
            responses=responses(*QUERY, *AUTH, NotFound))
async def get(endpoint: Ref, ctx: Ctx, caller: Who) -> endpoints.Endpoint:
    return await endpoints.get(ctx, caller, endpoint)


@router.patch("/{endpoint}", response_model=EndpointOut, operation_id="updateEndpointSettings",
              summary="Change an endpoint's settings: write tools, public docs, tool cap",
              responses=responses(*BODY, *AUTH, NotFound))
async def update_settings(endpoint: Ref, body: EndpointSettingsIn, ctx: Ctx,
                          caller: Who) -> endpoints.Endpoint:
    await endpoint_settings.change(ctx, caller, endpoint, allow_writes=body.allow_writes,
                                   public_docs=body.public_docs, tool_cap=body.tool_cap)
    return await endpoints.get(ctx, caller, endpoint)


@router.delete("/{endpoint}", status_code=status.HTTP_202_ACCEPTED, response_model=EndpointOut,
               operation_id="deleteEndpoint", summary="Delete an endpoint and its database",
               responses={**LOCATION, **responses(*QUERY, *AUTH, NotFound)})
async def delete(endpoint: Ref, ctx: Ctx, caller: Who, response: Response) -> endpoints.Endpoint:
    return _located(response, await endpoints.delete(ctx, caller, endpoint))
