"""A ``multipart/form-data`` form with one ``file`` part that streams into the import spool as it arrives.

``POST /v1/endpoints`` and the dashboard's two upload forms read their forms with ``read``: the fields
may come before or after the file, each is handed to ``seen`` as soon as it is read (the dashboard checks
its CSRF token there), and the file part goes to ``receive``, a service that spools it under a plan's
limit. Whatever refuses the form while it is read, the spool file is removed; after that, the caller
owns it (``Form.discard``, or a service that records the import or removes it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from starlette.requests import Request

from control_plane.errors import InvalidInput
from control_plane.imports import spool
from control_plane.imports.spool import Spooled
from control_plane.services.imports import Upload, resolve_format
from control_plane.web import multipart

FILE = "file"


class Receive(Protocol):
    """A service that spools a file under a plan's limit (``imports.receive``, ``from_file.receive``),
    its caller, endpoint and spool given (``functools.partial``)."""

    def __call__(self, chunks: AsyncIterator[bytes], *,
                 declared_length: int | None) -> Awaitable[Spooled]: ...


def _nothing(name: str, value: str) -> None:
    return None


@dataclass
class Form:
    """What has been read of the form so far: its fields, what the file part said, its spooled file."""

    fields: dict[str, str] = field(default_factory=dict)
    upload: Upload = field(default_factory=Upload)
    spooled: Spooled | None = None

    def discard(self) -> None:
        if self.spooled is not None:
            spool.discard(self.spooled.path)


async def read(request: Request, receive: Receive, form: Form, *, seen: Callable[[str, str], None] = _nothing,
               known_format: bool = False) -> Form:
    """Read the body into ``form``; a file part with an empty file name (no file chosen) is skipped.

    ``known_format``: the file part must tell its format (Content-Type or file name) before it is spooled.
    """
    declared = multipart.file_length(request.headers.get("content-length"))
    try:
        async for part in multipart.parts(request.stream(), request.headers.get("content-type")):
            if part.name in form.fields or (part.name == FILE and form.spooled is not None):
                raise InvalidInput(f"the form field {part.name!r} is given twice")
            if part.name != FILE:
                form.fields[part.name] = await part.text()
                seen(part.name, form.fields[part.name])
            elif part.filename != "":
                form.upload = Upload(content_type=part.content_type, filename=part.filename)
                if known_format:
                    resolve_format(form.upload)
                form.spooled = await receive(part.chunks(), declared_length=declared)
    except BaseException:
        form.discard()
        raise
    return form
