"""One ASGI process for any mix of roles: /v1 to the control plane, /e/ to the gateway.

Protected-resource metadata (``/.well-known/oauth-protected-resource...``)
belongs to the gateway, like the MCP URLs it describes; the authorization
server's paths (its metadata, ``/oauth/...``, the sign-in pages) to the
control plane.

Each role is an async context manager that opens its resources and yields an
ASGI app; this root app enters them in its lifespan, routes by path, and
answers /healthz (process up) and /readyz (catalog and Redis reachable).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

import asyncpg
import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from control_plane import errors
from control_plane.redis import connect as redis_connect
from control_plane.settings import Settings

Part = Callable[[Settings], AbstractAsyncContextManager[ASGIApp | None]]
GATEWAY_PREFIXES = ("/e/", "/support/e/", "/.well-known/oauth-protected-resource")
READY_TIMEOUT = 2.0


@dataclass
class Routes:
    control: ASGIApp | None = None
    gateway: ASGIApp | None = None
    background: list[object] = field(default_factory=list)


async def _send_json(send: Send, status: int, body: object) -> None:
    payload = orjson.dumps(body)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def readiness(settings: Settings) -> tuple[int, dict[str, str]]:
    """Catalog down is 503; Redis down alone is 'degraded' (the gateway keeps serving)."""
    checks = {"catalog": "ok", "redis": "ok"}
    try:
        conn = await asyncpg.connect(settings.database_url_value, timeout=READY_TIMEOUT)
        await conn.close()
    except (OSError, asyncpg.PostgresError, TimeoutError):
        checks["catalog"] = "unreachable"
    client = redis_connect.connect(settings.redis_url_value, socket_timeout=READY_TIMEOUT)
    try:
        await client.ping()
    except redis_connect.REDIS_DOWN:
        checks["redis"] = "unreachable"
    finally:
        await client.aclose()
    if checks["catalog"] != "ok":
        return 503, {"status": "unavailable", **checks}
    return 200, {"status": "ready" if checks["redis"] == "ok" else "degraded", **checks}


class RootApp:
    def __init__(self, settings: Settings, control: Part | None, gateway: Part | None,
                 background: list[Part]) -> None:
        self.settings = settings
        self.parts = (control, gateway, background)
        self.routes = Routes()
        self.stack = contextlib.AsyncExitStack()

    async def _start(self) -> None:
        control, gateway, background = self.parts
        if control:
            self.routes.control = await self.stack.enter_async_context(control(self.settings))
        if gateway:
            self.routes.gateway = await self.stack.enter_async_context(gateway(self.settings))
        for part in background:
            await self.stack.enter_async_context(part(self.settings))

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self._start()
                except Exception as exc:  # reported by uvicorn as one line
                    await self.stack.aclose()
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.stack.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _pick(self, path: str) -> ASGIApp | None:
        if self.routes.gateway and path.startswith(GATEWAY_PREFIXES):
            return self.routes.gateway
        return self.routes.control or self.routes.gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        path = scope.get("path", "")
        if scope["type"] == "http" and path == "/healthz":
            await _send_json(send, 200, {"status": "ok"})
            return
        if scope["type"] == "http" and path == "/readyz":
            status, body = await readiness(self.settings)
            await _send_json(send, status, body)
            return
        app = self._pick(path)
        if app is None:
            await _send_json(send, 404, errors.body(errors.NotFound("no such path")))
            return
        await app(scope, receive, send)

