"""Uploading a file into an existing endpoint: the same ``imports.start`` as the API, from a browser form."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import JSONResponse, Response

from control_plane.errors import InvalidInput
from control_plane.services import imports
from control_plane.web.dashboard.access import Visit, guarded, wants_json
from control_plane.web.render import see_other

router = APIRouter(include_in_schema=False)
# Uploads carry the plan's own limit (checked while spooling), not the general body cap.
UPLOAD_PATHS = re.compile(r"^/app/endpoints(/[^/]+/imports)?/?$")
MODES = ("create", "replace", "append")
CHUNK = 256 * 1024


def spool_of(request: Request) -> Path:
    directory: Path = request.app.state.import_spool
    return directory


async def chunks_of(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(CHUNK):
        yield chunk


def _file(visit: Visit) -> UploadFile:
    value = visit.form.get("file") if visit.form is not None else None
    if not isinstance(value, UploadFile) or not value.filename:
        raise InvalidInput("choose a file to upload")
    return value


@router.post("/app/endpoints/{ref}/imports")
async def upload(request: Request, ref: str) -> Response:
    async def run(visit: Visit) -> Response:
        file, mode = _file(visit), visit.text("mode") or "create"
        if mode not in MODES:
            raise InvalidInput("the mode must be create, replace or append")
        given = imports.Upload(content_type=file.content_type, filename=file.filename,
                               table=visit.text("table") or None, mode=mode)
        made = await imports.start(visit.ctx, visit.caller, ref, given, chunks_of(file),
                                   spool_dir=spool_of(request))
        if wants_json(request):
            return JSONResponse({"id": str(made.id), "state": made.state}, status_code=202)
        return see_other(f"/app/endpoints/{ref}#imports")
    return await guarded(request, run)
