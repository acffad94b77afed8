"""/v1/endpoints/{endpoint}/imports: upload a file as the body (streamed to the spool), then poll it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status

from control_plane.api.deps import Ctx, Who
from control_plane.api.fields import NO_NUL, Safe, TableName, text
from control_plane.api.openapi import AUTH, QUERY, header, responses
from control_plane.api.routes.endpoints import Ref
from control_plane.api.schemas import ImportOut
from control_plane.errors import EndpointNotReady, ImportTooLarge, NotFound, UnknownFormat
from control_plane.imports.store import Format, Import, Mode
from control_plane.services import imports
from control_plane.services.imports import MAX_LIST, Delimiter, Encoding, Upload

router = APIRouter(prefix="/endpoints/{endpoint}/imports", tags=["imports"])
# Uploads carry their own per-plan limit, so the API's general body cap does not apply to them.
STREAMED_PATH = re.compile(r"^/v1/endpoints/[^/]+/imports/?$")
LOCATION = header(202, "Location", "the import, to follow its state")

FileName = Annotated[str, text(min_length=1, max_length=255, pattern=NO_NUL), Safe]


def spool_dir(request: Request) -> Path:
    directory: Path = request.app.state.import_spool
    return directory


def _length(request: Request) -> int | None:
    declared = request.headers.get("content-length", "")
    return int(declared) if declared.isdigit() else None


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=ImportOut, operation_id="importFile",
             summary="Upload a file (the body) into a table of the endpoint's database",
             responses={**LOCATION, **responses(*QUERY, *AUTH, NotFound, EndpointNotReady,
                                                UnknownFormat, ImportTooLarge)})
async def upload(
    endpoint: Ref, request: Request, response: Response, ctx: Ctx, caller: Who,
    format: Annotated[Format | None, Query(description="default: Content-Type, then the file name")] = None,
    table: Annotated[TableName | None, Query(description="made safe; default: the file name")] = None,
    mode: Annotated[Mode, Query(description="create, replace or append")] = Mode.CREATE,
    filename: Annotated[FileName | None, Query(description="to tell format and table")] = None,
    encoding: Annotated[Encoding | None, Query(description="CSV/TSV; detected when absent")] = None,
    delimiter: Annotated[Delimiter | None, Query(description="CSV; detected when absent")] = None,
    header: Annotated[bool | None, Query(description="CSV: is the first row a header? detected")] = None,
) -> Import:
    """The body is the file, streamed; the worker loads it (follow the Location)."""
    given = Upload(format, request.headers.get("content-type"), filename, table, mode,
                   {"encoding": encoding, "delimiter": delimiter, "header": header})
    made = await imports.start(ctx, caller, endpoint, given, request.stream(),
                               spool_dir=spool_dir(request), declared_length=_length(request))
    response.headers["Location"] = f"/v1/endpoints/{made.endpoint_id}/imports/{made.id}"
    return made


@router.get("", response_model=list[ImportOut], operation_id="listImports",
            summary="List an endpoint's imports, newest first",
            responses=responses(*QUERY, *AUTH, NotFound))
async def list_imports(endpoint: Ref, ctx: Ctx, caller: Who,
                       limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 50) -> list[Import]:
    return await imports.list_imports(ctx, caller, endpoint, limit=limit)


@router.get("/{import_id}", response_model=ImportOut, operation_id="getImport",
            summary="One import: state, progress, tables and inferred types, errors",
            responses=responses(*QUERY, *AUTH, NotFound))
async def get_import(endpoint: Ref, import_id: UUID, ctx: Ctx, caller: Who) -> Import:
    return await imports.get(ctx, caller, endpoint, import_id)
