"""The outermost ASGI layer of every process: request id, request context, access log, metrics, /metrics.

The request id is the caller's ``X-Request-Id`` when well formed, else a fresh
one; it is put back into the request's headers (so inner layers read the same
id) and echoed on the response. The access log names the route, never the
query string (OAuth codes and magic links travel there).
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from control_plane.observability import logs
from control_plane.observability.context import CURRENT, RequestContext, request_id_from
from control_plane.observability.metrics import CONTENT_TYPE, Metrics

REQUEST_ID = b"x-request-id"
GATEWAY_PATHS = frozenset({"mcp", "llms.txt", "manifest.json"})
FIXED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def route_of(scope: Scope) -> str:
    """A bounded label for the request's route: a template, never an id or a slug."""
    path: str = scope["path"]
    if path.startswith("/e/"):
        rest = path[3:].partition("/")[2]
        return f"/e/{{slug}}/{rest}" if rest in GATEWAY_PATHS else "/e/{other}"
    if path in FIXED_PATHS:
        return path
    if path.startswith("/.well-known/"):
        return "/.well-known/" + path[13:].partition("/")[0]
    if "route" not in scope:  # no route of the app took it: a 404, whatever the path was
        return "unmatched"
    return _template(path, scope.get("path_params") or {})


def _template(path: str, params: dict[str, object]) -> str:
    """The matched path with each path parameter's value put back as ``{name}``."""
    if not params:
        return path
    names = {str(v): k for k, v in params.items()}
    return "/".join(f"{{{names[part]}}}" if part in names else part for part in path.split("/"))


def _with_request_id(headers: list[tuple[bytes, bytes]]) -> tuple[str, list[tuple[bytes, bytes]] | None]:
    """The request id, and the headers to use instead when they did not carry it well formed."""
    given = None
    for key, value in headers:
        if key == REQUEST_ID:
            given = value
            break
    request_id = request_id_from(given)
    if given is not None and given == request_id.encode("latin-1"):
        return request_id, None
    kept = [(k, v) for k, v in headers if k != REQUEST_ID]
    return request_id, [*kept, (REQUEST_ID, request_id.encode("latin-1"))]


class Observed:
    """Wraps a process's root app; serves ``/metrics`` itself when ``expose_metrics``."""

    def __init__(self, app: ASGIApp, metrics: Metrics, *, expose_metrics: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.expose_metrics = expose_metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/metrics" and self.expose_metrics:
            await self._metrics(send)
            return
        request_id, headers = _with_request_id(scope["headers"])
        if headers is not None:
            scope["headers"] = headers
        echoed = request_id.encode("latin-1")
        status = 500
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                out = message.get("headers", [])
                if not any(k == REQUEST_ID for k, _ in out):
                    message["headers"] = [*out, (REQUEST_ID, echoed)]
            await send(message)

        token = CURRENT.set(RequestContext(request_id))
        try:
            await self.app(scope, receive, sending)
        finally:
            self._done(scope, status, time.perf_counter() - started)
            CURRENT.reset(token)

    def _done(self, scope: Scope, status: int, seconds: float) -> None:
        route = route_of(scope)
        self.metrics.request(route, scope["method"], status, seconds)
        logs.access(scope["method"], route, scope["path"], status, round(seconds * 1000, 2))

    async def _metrics(self, send: Send) -> None:
        body = self.metrics.render()
        headers = [(b"content-type", CONTENT_TYPE.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
