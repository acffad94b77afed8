"""The dashboard's "New endpoint" form, a file optional: the API's streamed path (``services/from_file.py``).

The form is read as it arrives (``uploads.read_form``, as the upload into an existing endpoint is):
the ``file`` part streams into the import spool under the tenant's plan's limit, the CSRF token is
checked before anything is committed. Then one transaction makes the endpoint, its first import and
both jobs; the endpoint page follows that import like any other.

A refusal (the file over the plan's limit, a bad name, a file of no known format) shows the form
again with the reason, nothing made and no spool file kept. It may come while the browser is still
sending its file: uvicorn reads and drops the rest of a body the app left unread and keeps the
connection, so the browser finishes sending and shows the page (not a connection error).
"""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request
from starlette.responses import Response

from control_plane.errors import BerthError, Forbidden
from control_plane.services import endpoints, from_file
from control_plane.services.from_file import NewEndpoint
from control_plane.web.dashboard.access import Visit, guarded, sentence
from control_plane.web.dashboard.endpoints import list_view
from control_plane.web.dashboard.uploads import read_form, spool_of
from control_plane.web.file_form import Form
from control_plane.web.render import see_other

router = APIRouter(include_in_schema=False)


async def _make(visit: Visit, form: Form) -> str:
    """The new endpoint's slug."""
    await read_form(visit, form, partial(from_file.receive, visit.ctx, visit.caller,
                                         spool_dir=spool_of(visit.request)))
    name = form.fields.get("name", "").strip()
    if form.spooled is None:
        return (await endpoints.create(visit.ctx, visit.caller, name)).slug
    made = await from_file.create(visit.ctx, visit.caller, NewEndpoint(name), form.upload, form.spooled)
    return made.endpoint.slug


@router.post("/app/endpoints")
async def create(request: Request) -> Response:
    async def run(visit: Visit) -> Response:
        form = Form()
        try:
            slug = await _make(visit, form)
        except BerthError as exc:
            if isinstance(exc, Forbidden):
                raise  # another site's form, an expired token, a role that may not: the problem page
            return await list_view(visit, exc.status, error=sentence(exc.message),
                                   name=form.fields.get("name", "").strip())
        return see_other(f"/app/endpoints/{slug}")
    return await guarded(request, run, streamed=True)
