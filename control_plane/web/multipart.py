"""A ``multipart/form-data`` body read as it arrives: small text fields whole, a file part as a stream.

Starlette's ``request.form()`` copies every file part into a temporary file of
its own, without a size limit, before the handler sees it. Here each part is
handed to the caller while the body streams in, so a file part can go straight
to the import spool under the plan's limit and nothing holds it whole. Fields
are bounded in number and size; a malformed body is a 400.

    async for part in parts(request.stream(), request.headers["content-type"]):
        if part.filename is None: value = await part.text()
        else: await spool.receive(..., part.chunks(), ...)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from control_plane.errors import BadRequest, InvalidInput, UnsupportedMediaType

FORM = "multipart/form-data"
MAX_PARTS = 32
MAX_FIELD_BYTES = 4096
MAX_HEADER_BYTES = 8192
# The most a form's fields, part headers and boundaries add to its file: a Content-Length over a file
# limit by more than this is refused before a byte is read.
FORM_OVERHEAD = MAX_PARTS * (MAX_FIELD_BYTES + MAX_HEADER_BYTES + 80)


def is_form(content_type: str | None) -> bool:
    return parse_options_header(content_type or "")[0].decode("latin-1").lower() == FORM


def boundary_of(content_type: str | None) -> bytes:
    media, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary", b"")
    if media.decode("latin-1").lower() != FORM or not 1 <= len(boundary) <= 70:
        raise UnsupportedMediaType("send multipart/form-data with a boundary")
    return boundary


def file_length(content_length: str | None) -> int | None:
    """The least the file of a form declaring ``content_length`` bytes holds; None when not declared."""
    declared = content_length or ""
    return max(int(declared) - FORM_OVERHEAD, 0) if declared.isdigit() else None


@dataclass
class _Events:
    """What the push parser reported for the last chunk fed to it, in order."""

    seen: list[tuple[str, bytes]] = field(default_factory=list)

    def callbacks(self) -> dict[str, object]:
        def mark(kind: str) -> object:
            return lambda: self.seen.append((kind, b""))

        def data(kind: str) -> object:
            return lambda buf, start, end: self.seen.append((kind, bytes(buf[start:end])))

        return {"on_part_begin": mark("begin"), "on_header_field": data("field"),
                "on_header_value": data("value"), "on_header_end": mark("header"),
                "on_headers_finished": mark("headers"), "on_part_data": data("data"),
                "on_part_end": mark("end"), "on_end": mark("done")}

    def take(self) -> list[tuple[str, bytes]]:
        taken, self.seen = self.seen, []
        return taken


class Part:
    """One part: its field name, its file name (None for a plain field), its Content-Type, its bytes."""

    def __init__(self, events: AsyncIterator[tuple[str, bytes]], headers: dict[str, str]) -> None:
        _, options = parse_options_header(headers.get("content-disposition", ""))
        self.name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        self.filename = None if filename is None else filename.decode("utf-8", "replace")
        self.content_type = headers.get("content-type")
        self._events = events
        self.finished = False

    async def chunks(self) -> AsyncIterator[bytes]:
        """The part's bytes as they arrive (each chunk at most one network read)."""
        while not self.finished:
            kind, data = await anext(self._events, ("done", b""))
            if kind in ("end", "done"):
                self.finished = True
            elif data:
                yield data

    async def text(self, limit: int = MAX_FIELD_BYTES) -> str:
        """A plain field's value; over ``limit`` bytes or not UTF-8 is a 422 naming the field."""
        value = bytearray()
        async for chunk in self.chunks():
            value += chunk
            if len(value) > limit:
                raise InvalidInput(f"the form field {self.name!r} is over {limit} bytes")
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(f"the form field {self.name!r} is not UTF-8") from None


async def _events(stream: AsyncIterator[bytes], boundary: bytes) -> AsyncIterator[tuple[str, bytes]]:
    events, closed = _Events(), False
    parser = MultipartParser(boundary, events.callbacks(), max_header_size=MAX_HEADER_BYTES)  # type: ignore[arg-type]
    try:
        async for chunk in stream:
            parser.write(chunk)
            for event in events.take():
                closed = closed or event[0] == "done"
                yield event
        parser.finalize()
    except MultipartParseError as exc:
        raise BadRequest(f"the multipart body cannot be read: {exc}") from None
    if not closed:
        raise BadRequest("the multipart body ended before its closing boundary")


async def _headers(events: AsyncIterator[tuple[str, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    name, value, size = b"", b"", 0
    async for kind, data in events:
        size += len(data)
        if size > MAX_HEADER_BYTES:
            raise BadRequest("a multipart part's headers are too long")
        if kind == "field":
            name += data
        elif kind == "value":
            value += data
        elif kind == "header":
            headers[name.decode("latin-1").lower()] = value.decode("latin-1")
            name, value = b"", b""
        elif kind == "headers":
            return headers
    raise BadRequest("the multipart body ended inside a part's headers")


async def parts(stream: AsyncIterator[bytes], content_type: str | None) -> AsyncIterator[Part]:
    """Each part in order; a part the caller did not read to its end is skipped before the next."""
    events = _events(stream, boundary_of(content_type))
    count = 0
    async for kind, _ in events:
        if kind != "begin":
            continue
        count += 1
        if count > MAX_PARTS:
            raise InvalidInput(f"a form of more than {MAX_PARTS} parts")
        part = Part(events, await _headers(events))
        yield part
        async for _ in part.chunks():
            pass
    if not count:
        raise BadRequest("the multipart body holds no part")
