"""/v1/endpoints/{id}/imports: upload a file as the request body (streamed to the spool), then poll it."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel

from control_plane.api.deps import Ctx, Who
from control_plane.imports.store import Import
from control_plane.services import imports
from control_plane.services.imports import Upload

router = APIRouter(prefix="/endpoints/{endpoint_id}/imports", tags=["imports"])
# Uploads carry their own per-plan limit, so the API's general body cap does not apply to them.
STREAMED_PATH = re.compile(r"^/v1/endpoints/[^/]+/imports/?$")


class ImportOut(BaseModel):
    id: UUID
    endpoint_id: UUID
    format: str
    table_name: str | None
    mode: str
    state: str
    bytes_total: int
    bytes_done: int
    rows_done: int
    rows_rejected: int
    tables: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def spool_dir(request: Request) -> Path:
    directory: Path = request.app.state.import_spool
    return directory


def _length(request: Request) -> int | None:
    declared = request.headers.get("content-length", "")
    return int(declared) if declared.isdigit() else None


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=ImportOut)
async def upload(
    endpoint_id: UUID, request: Request, response: Response, ctx: Ctx, caller: Who,
    format: str | None = Query(None, description="csv, tsv, json, ndjson, xlsx or parquet"),
    table: str | None = Query(None, description="Table name (made safe); default: the file name"),
    mode: str = Query("create", description="create, replace or append"),
    filename: str | None = Query(None, description="The file's name, to guess format and table"),
    encoding: str | None = Query(None, description="CSV/TSV encoding; detected when absent"),
    delimiter: str | None = Query(None, description="CSV delimiter; detected when absent"),
    header: bool | None = Query(None, description="Whether the first CSV row is a header; detected"),
) -> Import:
    """The body is the file. 202 with the import; the worker loads it (poll the Location)."""
    given = Upload(format, request.headers.get("content-type"), filename, table, mode,
                   {"encoding": encoding, "delimiter": delimiter, "header": header})
    made = await imports.start(ctx, caller, endpoint_id, given, request.stream(),
                               spool_dir=spool_dir(request), declared_length=_length(request))
    response.headers["Location"] = f"/v1/endpoints/{endpoint_id}/imports/{made.id}"
    return made


@router.get("", response_model=list[ImportOut])
async def list_imports(endpoint_id: UUID, ctx: Ctx, caller: Who,
                       limit: int = Query(50, description="At most 100")) -> list[Import]:
    return await imports.list_imports(ctx, caller, endpoint_id, limit=limit)


@router.get("/{import_id}", response_model=ImportOut)
async def get_import(endpoint_id: UUID, import_id: UUID, ctx: Ctx, caller: Who) -> Import:
    return await imports.get(ctx, caller, endpoint_id, import_id)
