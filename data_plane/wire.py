"""HTTP on raw ASGI for the gateway: read a bounded body, send JSON, and render Berth errors.

This is the data plane's one error renderer: a ``BerthError`` becomes an HTTP
status and ``{"error": {"code", "message"}}`` here and nowhere else; a 401 on
an MCP URL is a JSON-RPC error object (``unauthorized``), so SDK clients show
Berth's message, with the Bearer challenge naming the endpoint's metadata.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson
from starlette.types import Receive, Send

from control_plane.errors import BadRequest, BerthError, PayloadTooLarge, RateLimited, Unauthorized

Headers = list[tuple[bytes, bytes]]
JSON = (b"content-type", b"application/json")
CHALLENGE = (b"www-authenticate", b'Bearer realm="berth", error="invalid_token"')
UNAUTHORIZED_RPC = -32001  # the JSON-RPC code servers commonly use for "authentication required"
INSUFFICIENT = (b"www-authenticate", b'Bearer realm="berth", error="insufficient_scope", scope="mcp:write"')


class NotAcceptable(BadRequest):
    """The client's Accept header rules out the only way the gateway can answer."""

    code = "not_acceptable"
    status = 406


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


def error_body(code: str, message: str) -> bytes:
    return orjson.dumps({"error": {"code": code, "message": message}})


def error_headers(exc: BerthError, challenge: bytes | None = None) -> Headers:
    """Headers an error owes its client: the Bearer challenge, or when to retry."""
    if isinstance(exc, Unauthorized):
        return [(CHALLENGE[0], challenge)] if challenge else [CHALLENGE]
    if isinstance(exc, RateLimited):
        return [(b"retry-after", str(exc.retry_after).encode())]
    if exc.code == "insufficient_scope":
        return [INSUFFICIENT]
    if exc.status == 503:
        return [(b"retry-after", b"1")]
    return []


async def render_error(send: Send, exc: BerthError, extra: Headers | None = None, *,
                       challenge: bytes | None = None) -> None:
    """The data plane's error renderer: status, JSON body, and the headers the error implies."""
    headers = error_headers(exc, challenge) + (extra or [])
    await respond(send, exc.status, error_body(exc.code, exc.message), headers)


def rpc_error_body(exc: BerthError, request_id: object) -> bytes:
    """A JSON-RPC error object for a refusal before any method ran; Berth's code rides in ``data``."""
    error = {"code": UNAUTHORIZED_RPC, "message": exc.message, "data": {"code": exc.code}}
    return orjson.dumps({"jsonrpc": "2.0", "id": request_id, "error": error})


async def render_unauthorized(send: Send, exc: Unauthorized, request_id: object, challenge: bytes) -> None:
    """401 on an MCP URL: the challenge naming the endpoint's metadata and a JSON-RPC error body."""
    await respond(send, exc.status, rpc_error_body(exc, request_id), error_headers(exc, challenge))
