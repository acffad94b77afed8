"""The gateway's ASGI app and the resources it opens for its lifetime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from control_plane.settings import Settings


class Gateway:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = orjson.dumps({"error": {"code": "not_found", "message": "no such endpoint"}})
        await send({"type": "http.response.start", "status": 404,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[ASGIApp]:
    """Open the gateway's resources and yield its app; close them on exit."""
    yield Gateway()
