"""HTTP on raw ASGI for the gateway: read a bounded body, send JSON, and render Berth errors.

This is the data plane's one error renderer: a ``BerthError`` becomes its HTTP
status, its headers and ``control_plane.errors.body`` here and nowhere else; a
401 on an MCP URL is a JSON-RPC error object (``unauthorized``) carrying that
same body's error in ``data``, so SDK clients show Berth's message, with the
Bearer challenge naming the endpoint's metadata.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson
from starlette.types import Receive, Send

from control_plane.errors import BerthError, PayloadTooLarge, Unauthorized, body

Headers = list[tuple[bytes, bytes]]
JSON = (b"content-type", b"application/json")
UNAUTHORIZED_RPC = -32001  # the JSON-RPC code servers commonly use for "authentication required"


def header(raw: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """The first value of header ``name`` (lowercase), or None."""
    for key, value in raw:
        if key == name:
            return value
    return None


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body, refusing more than ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body is over {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def respond(send: Send, status: int, body: bytes, headers: Headers | None = None) -> None:
    """One complete response; ``headers`` may add to or replace the JSON content type."""
    out = [JSON, (b"content-length", str(len(body)).encode())] if body else [(b"content-length", b"0")]
    if headers:
        if headers[0][0] == b"content-type":
            out[0] = headers[0]
            headers = headers[1:]
        out.extend(headers)
    await send({"type": "http.response.start", "status": status, "headers": out})
    await send({"type": "http.response.body", "body": body})


def error_headers(exc: BerthError, challenge: bytes | None = None) -> Headers:
    """The headers the error's class owes its client; ``challenge`` replaces a 401's, naming the endpoint."""
    found = [(name.lower().encode(), value.encode()) for name, value in exc.headers().items()]
    if challenge is not None and isinstance(exc, Unauthorized):
        return [(n, challenge if n == b"www-authenticate" else v) for n, v in found]
    return found


async def render_error(send: Send, exc: BerthError, extra: Headers | None = None, *,
                       challenge: bytes | None = None) -> None:
    """The data plane's error renderer: status, JSON body, and the headers the error implies."""
    headers = error_headers(exc, challenge) + (extra or [])
    await respond(send, exc.status, orjson.dumps(body(exc)), headers)


def rpc_error_body(exc: BerthError, request_id: object) -> bytes:
    """A JSON-RPC error object for a refusal before any method ran; Berth's error rides in ``data``."""
    error = {"code": UNAUTHORIZED_RPC, "message": exc.message, "data": body(exc)["error"]}
    return orjson.dumps({"jsonrpc": "2.0", "id": request_id, "error": error})


async def render_unauthorized(send: Send, exc: Unauthorized, request_id: object, challenge: bytes) -> None:
    """401 on an MCP URL: the challenge naming the endpoint's metadata and a JSON-RPC error body."""
    await respond(send, exc.status, rpc_error_body(exc, request_id), error_headers(exc, challenge))
