"""The control plane's one error renderer: Berth errors, validation and HTTP errors become JSON.

Statuses: 400 a body that cannot be read (invalid JSON), 415 a body without
``Content-Type: application/json``, 422 every validation failure, each failing
field listed. ``CatchAll`` answers anything unexpected with a bare 500 that
carries the request id, and logs the id, so the connection survives.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from control_plane.errors import (
    BadRequest,
    BerthError,
    InvalidInput,
    InvalidJson,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    body,
)

log = logging.getLogger("berth.api")

# Starlette's own refusals, by status; any other 4xx is bad_request and any 5xx internal.
HTTP_ERRORS: dict[int, type[BerthError]] = {400: InvalidJson, 404: NotFound, 413: PayloadTooLarge,
                                            415: UnsupportedMediaType}
METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")
BODY_NOT_OBJECT = frozenset({"model_attributes_type", "dict_type"})


def printable(text: str, limit: int = 200) -> str:
    """Caller-supplied text made safe to echo: NUL and lone surrogates escaped, length capped."""
    escaped = text[:limit].encode("utf-8", "backslashreplace").decode("utf-8")
    return escaped.replace("\x00", "\\x00")


def request_id_of(request: Request) -> str:
    return str(getattr(request.state, "request_id", "-"))


async def on_berth_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BerthError)
    if exc.status >= 500:
        log.warning("%s %s answered %d %s (request %s)", request.method, request.url.path, exc.status,
                    exc.code, request_id_of(request))
    return JSONResponse(body(exc), status_code=exc.status, headers=exc.headers() or None)


def _field(loc: Sequence[int | str]) -> str:
    return ".".join(printable(str(p), 60) for p in loc if p not in ("body", "query", "path", "header"))


def _unreadable_body(request: Request, errors: Sequence[Any]) -> JSONResponse | None:
    """Invalid JSON is 400; a body sent as anything but JSON is 415 with a message that says so."""
    first = errors[0] if errors else {}
    if first.get("type") == "json_invalid":
        return _answer(InvalidJson("the body is not valid JSON"))
    if tuple(first.get("loc", ())) == ("body",) and isinstance(first.get("input"), bytes | bytearray):
        given = request.headers.get("content-type")
        told = f"is sent as {printable(given, 80)!r}" if given else "has no Content-Type header"
        message = f"the body {told}; send it as JSON with Content-Type: application/json"
        return _answer(UnsupportedMediaType(message))
    return None


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    unreadable = _unreadable_body(request, errors)
    if unreadable is not None:
        return unreadable
    fields = [{"field": _field(e.get("loc", ())) or "body", "message": printable(str(e.get("msg", "")))}
              for e in errors]
    message = "; ".join(f"{f['field']}: {f['message']}" for f in fields) or "invalid request"
    return _answer(InvalidInput(message, fields=fields))


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    message = "the body is not valid JSON in UTF-8" if exc.status_code == 400 else str(exc.detail)
    if exc.status_code == 405:
        error: BerthError = MethodNotAllowed(message, allow=_allowed(request))
    else:
        error = HTTP_ERRORS.get(exc.status_code, BadRequest if exc.status_code < 500 else BerthError)(message)
    # The status stays Starlette's: an HTTPException may carry one no class of ours has.
    headers = {**(exc.headers or {}), **error.headers()}
    return JSONResponse(body(error), status_code=exc.status_code, headers=headers or None)


def _answer(error: BerthError) -> JSONResponse:
    return JSONResponse(body(error), status_code=error.status, headers=error.headers() or None)


def _allowed(request: Request) -> str:
    """Every method the path takes: FastAPI keeps one route per method, and Starlette names only the first."""
    routes: list[BaseRoute] = request.app.router.routes
    return ", ".join(m for m in METHODS
                     if any(r.matches({**request.scope, "method": m})[0] == Match.FULL for r in routes))


class CatchAll:
    """Anything unexpected: log its type with the request id, answer a bare JSON 500, keep the connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            # Never echo the exception: it may carry a DSN or a token.
            request_id = scope.get("state", {}).get("request_id", "-")
            log.error("unhandled error on %s %s: %s (request %s)", scope.get("method"), scope.get("path"),
                      type(exc).__name__, request_id)
            if not started:
                await _internal(send)


async def _internal(send: Send) -> None:
    encoded = orjson.dumps(body(BerthError("internal error")))
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(encoded)).encode())]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": encoded})


def install(app: FastAPI) -> None:
    """Register the handlers; ``CatchAll`` joins the middleware (inside any added later)."""
    app.add_exception_handler(BerthError, on_berth_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_middleware(CatchAll)
