"""ASGI middleware for /v1: a request id on every request and response, and a cap on body size."""

from __future__ import annotations

import re
import uuid

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from control_plane.errors import PayloadTooLarge, body
from control_plane.web.multipart import is_form

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestId:
    """Takes a well-formed ``X-Request-Id`` or makes one; audit rows and the response carry it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)


class BodyLimit:
    """Refuses bodies over ``max_bytes`` with a JSON 413: by Content-Length up front, or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int, exempt: re.Pattern[str] | None = None,
                 forms: re.Pattern[str] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt = exempt  # paths that stream their body and enforce their own limit (file uploads)
        self.forms = forms  # paths that do so only for multipart/form-data (a file with fields)

    def _exempt(self, scope: Scope, headers: dict[bytes, bytes]) -> bool:
        if self.exempt is not None and self.exempt.match(scope["path"]):
            return True
        return (self.forms is not None and self.forms.match(scope["path"]) is not None
                and is_form(headers.get(b"content-type", b"").decode("latin-1")))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", []))
        if scope["type"] != "http" or self._exempt(scope, headers):
            await self.app(scope, receive, send)
            return
        declared = headers.get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.max_bytes:
            await _refuse(send, self.max_bytes)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                # An HTTPException survives FastAPI's body reading and reaches our handler as a 413.
                raise HTTPException(413, f"the body exceeds {self.max_bytes} bytes")
            return message

        await self.app(scope, counted, send)


async def _refuse(send: Send, max_bytes: int) -> None:
    encoded = orjson.dumps(body(PayloadTooLarge(f"the body exceeds {max_bytes} bytes")))
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(encoded)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": encoded})
