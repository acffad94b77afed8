"""The dashboard's two upload forms, read as they arrive (``web/file_form.py``), and the one that
imports a file into an existing endpoint: the same ``imports.receive`` and ``imports.commit`` as the API.

Neither form is read by ``request.form()``, which copies a file into a temporary file of its own without
a limit: the ``file`` part streams into the import spool under the plan's limit. A file of no known
format is refused before a byte is spooled; the CSRF token is checked as soon as its part is read (a
browser sends it first, in the page's order) and in any case before anything is committed, so a file
sent before a wrong token is spooled and removed again. A refusal (over the limit, no file, a bad mode)
leaves no spool file and no import; it may come while the browser is still sending (uvicorn reads and
drops the rest of the body and keeps the connection, so the browser sees the answer).
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from control_plane.errors import InvalidInput
from control_plane.imports.store import Import, Mode
from control_plane.services import imports
from control_plane.web import csrf, file_form
from control_plane.web.dashboard.access import Visit, guarded, wants_json
from control_plane.web.file_form import Form, Receive
from control_plane.web.render import see_other

router = APIRouter(include_in_schema=False)
# Uploads carry the plan's own limit (checked while spooling), not the general body cap.
UPLOAD_PATHS = re.compile(r"^/app/endpoints(/[^/]+/imports)?/?$")


def spool_of(request: Request) -> Path:
    directory: Path = request.app.state.import_spool
    return directory


async def read_form(visit: Visit, form: Form, receive: Receive) -> Form:
    """``form`` read from the body, its file spooled by ``receive`` and its CSRF token checked."""
    def seen(name: str, value: str) -> None:
        if name == csrf.FIELD:
            visit.check_csrf(value)

    await file_form.read(visit.request, receive, form, seen=seen, known_format=True)
    try:
        visit.check_csrf(form.fields.get(csrf.FIELD))  # a form without a token
    except BaseException:
        form.discard()
        raise
    return form


async def _import(visit: Visit, ref: str) -> Import:
    receive = partial(imports.receive, visit.ctx, visit.caller, ref, spool_dir=spool_of(visit.request))
    form = await read_form(visit, Form(), receive)
    if form.spooled is None:
        raise InvalidInput("choose a file to upload")
    table, mode = form.fields.get("table", "").strip(), form.fields.get("mode", "").strip()
    given = imports.Upload(content_type=form.upload.content_type, filename=form.upload.filename,
                           table=table or None, mode=mode or Mode.CREATE)
    return await imports.commit(visit.ctx, visit.caller, ref, given, form.spooled)  # a bad mode: removed


@router.post("/app/endpoints/{ref}/imports")
async def upload(request: Request, ref: str) -> Response:
    async def run(visit: Visit) -> Response:
        made = await _import(visit, ref)
        if wants_json(request):
            return JSONResponse({"id": str(made.id), "state": made.state}, status_code=202)
        return see_other(f"/app/endpoints/{ref}#imports")
    return await guarded(request, run, streamed=True)
