"""``POST /v1/endpoints`` as ``multipart/form-data``: the endpoint's fields and a file, in one call.

``JsonOrForm`` is the route class of ``createEndpoint``: a JSON body goes to
the declared handler unchanged; a form goes to ``create_from_file``, which
FastAPI hands the request with its body unread. The ``file`` part streams into
the import spool as it arrives (``web/multipart.py``); the other fields may
come before or after it and are held to the JSON body's rules plus the
upload's (``EndpointFormIn``). Answer: 202, the endpoint with its ``import``,
and ``Location`` naming the import, which is done once the endpoint is
provisioned and the file loaded (``services/from_file.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import ValidationError

from control_plane.api.deps import Ctx, Who
from control_plane.api.fields import IdempotencyKey, TableName
from control_plane.api.schemas import EndpointFromFileOut, EndpointIn
from control_plane.errors import InvalidInput
from control_plane.imports.spool import Spooled
from control_plane.imports.store import Format
from control_plane.services import from_file
from control_plane.services.from_file import NewEndpoint
from control_plane.services.imports import Delimiter, Encoding, Upload
from control_plane.web import file_form, multipart
from control_plane.web.file_form import FILE, Form

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class EndpointFormIn(EndpointIn):
    table: TableName | None = None
    format: Format | None = None
    encoding: Encoding | None = None
    delimiter: Delimiter | None = None
    header: bool | None = None


def _spool_dir(request: Request) -> Path:
    directory: Path = request.app.state.import_spool
    return directory


def _validated(fields: dict[str, str]) -> EndpointFormIn:
    try:
        return EndpointFormIn.model_validate(fields)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None


async def _read(request: Request, ctx: Ctx, caller: Who) -> tuple[Form, Spooled]:
    """The form with its file spooled; the spool file is removed if the form is refused."""
    receive = partial(from_file.receive, ctx, caller, spool_dir=_spool_dir(request))
    form = await file_form.read(request, receive, Form())
    if form.spooled is None:
        raise InvalidInput("the form has no file part; send the file as the field 'file'")
    return form, form.spooled


async def create_from_file(
    request: Request, response: Response, ctx: Ctx, caller: Who,
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> dict[str, Any]:
    form, spooled = await _read(request, ctx, caller)
    try:
        fields = _validated(form.fields)
    except BaseException:
        form.discard()
        raise
    options = {"encoding": fields.encoding, "delimiter": fields.delimiter, "header": fields.header}
    file = form.upload
    given = Upload(fields.format, file.content_type, file.filename, fields.table, options=options)
    new = NewEndpoint(fields.name, fields.plan, fields.region, idempotency_key)
    made = await from_file.create(ctx, caller, new, given, spooled)
    imported = made.first_import
    response.headers["Location"] = f"/v1/endpoints/{imported.endpoint_id}/imports/{imported.id}"
    return {**asdict(made.endpoint), "import": imported}


class JsonOrForm(APIRoute):
    """A JSON body to the declared handler as before; ``multipart/form-data`` to ``create_from_file``."""

    def get_route_handler(self) -> Handler:
        as_json = super().get_route_handler()
        as_form = APIRoute(self.path, create_from_file, methods=["POST"], status_code=202,
                           response_model=EndpointFromFileOut).get_route_handler()

        async def handler(request: Request) -> Response:
            if multipart.is_form(request.headers.get("content-type")):
                return await as_form(request)
            return await as_json(request)

        return handler


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """``schema`` with its ``$defs`` references written out and its null alternatives dropped."""
    if isinstance(schema, list):
        return [_inline(s, defs) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return _inline(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in schema:
        kept = [s for s in schema["anyOf"] if s != {"type": "null"}]
        if len(kept) == 1:
            return _inline({**{k: v for k, v in schema.items() if k != "anyOf"}, **kept[0]}, defs)
    return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}


def form_body() -> dict[str, Any]:
    """The operation's ``multipart/form-data`` request body, beside its JSON one (``openapi_extra``)."""
    schema = EndpointFormIn.model_json_schema()
    shown = _inline(schema, schema.get("$defs", {}))
    shown["properties"] = {**shown["properties"], FILE: {
        "type": "string", "format": "binary",
        "description": "the file, loaded into a table once the endpoint is ready (the plan's import limit)"}}
    shown["required"] = [*shown.get("required", []), FILE]
    shown.pop("title", None)
    return {"requestBody": {"content": {"multipart/form-data": {"schema": shown}}}}
