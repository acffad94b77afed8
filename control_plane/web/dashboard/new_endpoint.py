"""The dashboard's "New endpoint" form, a file optional: the API's streamed path (``services/from_file.py``).

The form is read by ``web/multipart.py`` as it arrives, never by ``request.form()`` (which copies a
file into a temporary file of its own, without a limit). The ``file`` part streams into the import
spool under the tenant's plan's limit. The CSRF token is checked as soon as its part is read, and
in any case before anything is committed: a browser sends the parts in the page's order, token
first, but a file sent before its token is spooled and removed again when the token is refused.
Then one transaction makes the endpoint, its first import and both jobs; the endpoint page follows
that import like any other.

A refusal (the file over the plan's limit, a bad name, a file of no known format) shows the form
again with the reason, nothing made and no spool file kept. It may come while the browser is still
sending its file: uvicorn reads and drops the rest of a body the app left unread and keeps the
connection, so the browser finishes sending and shows the page (not a connection error).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from control_plane.errors import BerthError, Forbidden, InvalidInput
from control_plane.imports import spool
from control_plane.services import endpoints, from_file, imports
from control_plane.services.from_file import NewEndpoint, Spooled
from control_plane.web import csrf, multipart
from control_plane.web.dashboard.access import Visit, guarded, sentence
from control_plane.web.dashboard.endpoints import list_view
from control_plane.web.dashboard.uploads import spool_of
from control_plane.web.render import see_other

router = APIRouter(include_in_schema=False)
FILE = "file"


async def _read(visit: Visit, fields: dict[str, str]) -> tuple[imports.Upload, Spooled | None]:
    """Fill ``fields`` and spool the file, if one was chosen; the spool file is removed on any refusal."""
    request = visit.request
    upload, spooled, checked = imports.Upload(), None, False
    try:
        async for part in multipart.parts(request.stream(), request.headers.get("content-type")):
            if part.name in fields or (part.name == FILE and upload.filename):
                raise InvalidInput(f"the form field {part.name!r} is given twice")
            if part.name != FILE:
                fields[part.name] = await part.text()
                if part.name == csrf.FIELD:
                    visit.check_csrf(fields[part.name])
                    checked = True
                continue
            if not part.filename:
                continue  # no file chosen: the browser sends an empty part with an empty file name
            upload = imports.Upload(content_type=part.content_type, filename=part.filename)
            imports.resolve_format(upload)  # a file of no known format is refused before it is spooled
            spooled = await from_file.receive(
                visit.ctx, visit.caller, part.chunks(), spool_dir=spool_of(request),
                declared_length=multipart.file_length(request.headers.get("content-length")))
        if not checked:
            visit.check_csrf(fields.get(csrf.FIELD))
    except BaseException:
        if spooled is not None:
            spool.discard(spooled.path)
        raise
    return upload, spooled


async def _make(visit: Visit, fields: dict[str, str]) -> str:
    """The new endpoint's slug."""
    upload, spooled = await _read(visit, fields)
    name = fields.get("name", "").strip()
    if spooled is None:
        return (await endpoints.create(visit.ctx, visit.caller, name)).slug
    made = await from_file.create(visit.ctx, visit.caller, NewEndpoint(name), upload, spooled)
    return made.endpoint.slug


@router.post("/app/endpoints")
async def create(request: Request) -> Response:
    async def run(visit: Visit) -> Response:
        fields: dict[str, str] = {}
        try:
            slug = await _make(visit, fields)
        except BerthError as exc:
            if isinstance(exc, Forbidden):
                raise  # another site's form, an expired token, a role that may not: the problem page
            return await list_view(visit, exc.status, error=sentence(exc.message),
                                   name=fields.get("name", "").strip())
        return see_other(f"/app/endpoints/{slug}")
    return await guarded(request, run, streamed=True)
