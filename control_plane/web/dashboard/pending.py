"""A file given with a new endpoint waits in the spool until the endpoint is ready: its first import.

``keep`` writes it to ``<spool>/pending/<endpoint id>/`` (within the plan's
import limit) with what the import needs to know. ``start_when_ready`` runs on
each view or poll of the endpoint: once the endpoint is ready, the folder is
claimed by renaming it (only one request wins), the file goes through the same
``imports.start`` as any upload, and the folder is removed.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
from collections.abc import AsyncIterator
from pathlib import Path, PurePath
from uuid import UUID

from fastapi import Request
from starlette.datastructures import UploadFile

from control_plane.catalog.endpoints import EndpointStatus
from control_plane.imports import spool
from control_plane.imports.limits import max_import_bytes
from control_plane.services import imports
from control_plane.services.endpoints import Endpoint
from control_plane.web.dashboard.access import Visit

CHUNK = 256 * 1024
META = "upload.json"


def spool_of(request: Request) -> Path:
    directory: Path = request.app.state.import_spool
    return directory


def _folder(visit: Visit, endpoint_id: UUID) -> Path:
    return spool_of(visit.request) / "pending" / str(endpoint_id)


async def chunks_of(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(CHUNK):
        yield chunk


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while chunk := await asyncio.to_thread(handle.read, CHUNK):
            yield chunk


async def keep(visit: Visit, endpoint: Endpoint, upload: UploadFile) -> None:
    """Hold ``upload`` for ``endpoint``'s first import; over the plan's limit is 413 and nothing is kept."""
    given = imports.Upload(content_type=upload.content_type, filename=upload.filename)
    meta = {"format": imports.resolve_format(given).value, "filename": PurePath(upload.filename or "").name}
    folder = _folder(visit, endpoint.id)
    limit = max_import_bytes(endpoint.plan)
    await spool.receive(folder, endpoint.id, chunks_of(upload), limit=limit, plan=endpoint.plan)
    await asyncio.to_thread((folder / META).write_text, json.dumps(meta))


def waiting(visit: Visit, endpoint_id: UUID) -> str | None:
    """The name of the file waiting for the endpoint to be ready, if any."""
    try:
        meta = json.loads((_folder(visit, endpoint_id) / META).read_text())
    except (OSError, ValueError):
        return None
    return str(meta.get("filename") or "the uploaded file")


def _claim(folder: Path) -> Path | None:
    claimed = folder.with_name(f"{folder.name}.{secrets.token_hex(4)}")
    try:
        folder.rename(claimed)
    except OSError:
        return None  # gone, or another request claimed it first
    return claimed


async def start_when_ready(visit: Visit, endpoint: Endpoint) -> None:
    if endpoint.status != EndpointStatus.READY or waiting(visit, endpoint.id) is None:
        return
    claimed = await asyncio.to_thread(_claim, _folder(visit, endpoint.id))
    if claimed is None:
        return
    try:
        meta = json.loads((claimed / META).read_text())
        path = claimed / f"{endpoint.id}.upload"
        given = imports.Upload(format=meta["format"], filename=meta["filename"])
        await imports.start(visit.ctx, visit.caller, endpoint.id, given, _file_chunks(path),
                            spool_dir=spool_of(visit.request), declared_length=path.stat().st_size)
    finally:
        await asyncio.to_thread(shutil.rmtree, claimed, True)
