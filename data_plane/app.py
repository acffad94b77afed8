"""The gateway's raw ASGI app, read top to bottom in the order a call meets it; lifespan.py opens its parts.

``POST /e/{slug}/mcp``: Origin -> Bearer token (auth.py) -> body -> JSON-RPC
(jsonrpc.py) -> era checks -> method (mcp.py); ``tools/call`` goes on to the
rate limit, the endpoint's pool, the tool and the audit buffer (calls.py).
``GET /e/{slug}/llms.txt`` (also ``/e/{slug}/.well-known/llms.txt``) and
``/manifest.json`` describe the endpoint (documents.py, docs.py).
``GET /.well-known/oauth-protected-resource/e/{slug}/mcp`` (and the variants
clients probe) is the endpoint's RFC 9728 metadata (discovery.py).
``POST /support/e/{slug}/mcp`` is the same MCP for an approved support
credential only, read-only, each use audited as ``support.use`` (support.py).
Every other path is a JSON 404.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import asyncpg
from starlette.types import Receive, Scope, Send

from control_plane.errors import (
    BerthError,
    MethodNotAllowed,
    NotAcceptable,
    NotFound,
    OriginNotAllowed,
    Unauthorized,
)
from control_plane.settings import Settings
from data_plane import catalog, discovery, jsonrpc, watch, wire
from data_plane.auth import Grant, bearer, public_grant
from data_plane.listen import listen
from data_plane.mcp import Methods
from data_plane.ratelimit import LimitExceeded
from data_plane.resources import Resources
from data_plane.support import CHALLENGE as SUPPORT_CHALLENGE

if TYPE_CHECKING:
    from data_plane.lifespan import GatewayResources

log = logging.getLogger(__name__)
FindPublic = Callable[[str], Awaitable[asyncpg.Record | None]]
ROUTING_HEADERS = (b"mcp-protocol-version", b"mcp-method", b"mcp-name")
TEXT = [(b"content-type", b"text/plain; charset=utf-8")]
DOCUMENTS = {"llms.txt": "llms.txt", ".well-known/llms.txt": "llms.txt", "manifest.json": "manifest.json"}
FLUSH_EVERY = 0.5
SUPPORT_ROOT = "/support/e/"
Check = Callable[[str, str], Awaitable[Grant]]
LISTEN_KEEPALIVE = 15.0


class Gateway:
    """Routes a request to its handler; everything it uses was opened beforehand (``lifespan.opened``)."""

    def __init__(self, resources: GatewayResources, settings: Settings, *,
                 keepalive: float = LISTEN_KEEPALIVE) -> None:
        self.resources = resources
        self.methods = Methods(resources.calls, Resources(resources.documents))
        self.origins = frozenset(settings.allowed_origins)
        self.max_body = settings.max_body_bytes
        self.base_url = settings.gateway_base_url
        self.issuer = settings.issuer
        self.keepalive = keepalive

    @property
    def degraded(self) -> bool:
        """Serving on the per-process limiter because Redis is unreachable."""
        return self.resources.degraded

    @property
    def stopping(self) -> asyncio.Event:
        """Set when the server stops: open ``subscriptions/listen`` streams end."""
        return self.resources.stopping

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        described = discovery.slug_of(scope["path"])
        if described is not None:
            await self.resource_metadata(scope, send, described)
            return
        if scope["path"].startswith(SUPPORT_ROOT):
            await self.support_mcp(scope, receive, send)
            return
        slug, _, rest = scope["path"].removeprefix("/e/").partition("/")
        on_endpoint = scope["path"].startswith("/e/") and slug
        if not (on_endpoint and (rest == "mcp" or rest in DOCUMENTS)):
            await wire.render_error(send, NotFound("no such path"))
            return
        try:
            if rest == "mcp":
                await self.mcp(scope, receive, send, slug)
            else:
                await self.docs(scope, send, slug, DOCUMENTS[rest])
        except Exception:
            # A bug, not a caller's mistake: logged with its trace, answered in the usual JSON shape.
            log.exception("gateway request failed")
            with contextlib.suppress(Exception):  # the response may have started already
                await wire.render_error(send, BerthError("the gateway failed to answer"))

    async def support_mcp(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The support path: only a ``bsup_`` credential, checked against the catalog on every request."""
        slug, _, rest = scope["path"].removeprefix(SUPPORT_ROOT).partition("/")
        if not slug or rest != "mcp":
            await wire.render_error(send, NotFound("no such path"))
            return
        try:
            await self.mcp(scope, receive, send, slug, self.resources.support.check, SUPPORT_CHALLENGE)
        except Exception:
            log.exception("gateway support request failed")
            with contextlib.suppress(Exception):
                await wire.render_error(send, BerthError("the gateway failed to answer"))

    async def mcp(self, scope: Scope, receive: Receive, send: Send, slug: str,
                  check: Check | None = None, challenge: bytes | None = None) -> None:
        if scope["method"] != "POST":
            await wire.render_error(send, MethodNotAllowed("POST only", allow="POST"))
            return
        headers = scope["headers"]
        origin = wire.header(headers, b"origin")
        try:
            if origin is not None and origin.decode("latin-1") not in self.origins:
                raise OriginNotAllowed("this Origin may not call the endpoint")
            credential = bearer(wire.header(headers, b"authorization"))
            grant = await (check or self.resources.auth.check)(credential, slug)
            body = await wire.read_body(receive, self.max_body)
        except Unauthorized as exc:
            challenge = challenge or discovery.challenge(self.base_url, slug)
            await self._unauthorized(receive, send, exc, challenge)
            return
        except BerthError as exc:
            await wire.render_error(send, exc)
            return
        await self.rpc(grant, body, headers, receive, send)

    async def _unauthorized(self, receive: Receive, send: Send, exc: Unauthorized, challenge: bytes) -> None:
        """401 with the request's id when its body can be read, so the client can match the error."""
        request_id: object = None
        with contextlib.suppress(BerthError):
            request_id = _id_of(await wire.read_body(receive, self.max_body))
        await wire.render_unauthorized(send, exc, request_id, challenge)

    async def resource_metadata(self, scope: Scope, send: Send, slug: str) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await wire.render_error(send, MethodNotAllowed("GET only", allow="GET"))
            return
        cors = [(b"access-control-allow-origin", b"*"), (b"cache-control", b"public, max-age=300")]
        await wire.respond(send, 200, discovery.document(self.base_url, self.issuer, slug), cors)

    async def docs(self, scope: Scope, send: Send, slug: str, name: str) -> None:
        """The endpoint's manifest or llms.txt, for a token of the endpoint."""
        if scope["method"] != "GET":
            await wire.render_error(send, MethodNotAllowed("GET only", allow="GET"))
            return
        authorization = wire.header(scope["headers"], b"authorization")
        try:
            grant = await self.public_grant(slug) if authorization is None else None
            if grant is None:
                grant = await self.resources.auth.check(bearer(authorization), slug)
            rendered = await self.resources.documents.get(grant)
        except BerthError as exc:
            await wire.render_error(send, exc, challenge=discovery.challenge(self.base_url, slug))
            return
        if name == "manifest.json":
            await wire.respond(send, 200, rendered.manifest_json)
            return
        await wire.respond(send, 200, rendered.llms_txt, TEXT)

    async def public_grant(self, slug: str) -> Grant | None:
        row = await catalog.find_public_endpoint(self.resources.catalog, slug)
        return public_grant(row, time.time()) if row is not None else None

    async def rpc(self, grant: Grant, body: bytes, headers: list[tuple[bytes, bytes]],
                  receive: Receive, send: Send) -> None:
        routing = {k.decode(): v.decode("latin-1") for k, v in headers if k in ROUTING_HEADERS}
        modern = "mcp-protocol-version" in routing and \
            routing["mcp-protocol-version"] not in jsonrpc.LEGACY_VERSIONS
        try:
            message = jsonrpc.parse(body)
            if grant.support and message.method != "tools/call":  # a tool call is audited with its tool
                self.resources.calls.record_use(grant, message.method)
            modern = jsonrpc.is_modern(routing.get("mcp-protocol-version"), message)
            if message.is_notification:
                await self._acknowledge(routing, modern, send)
                return
            reply = await self._dispatch(grant, message, headers, routing, modern, receive, send)
        except jsonrpc.RpcError as exc:
            status, out = jsonrpc.error(_id_of(body), exc, modern=modern)
            await wire.respond(send, status, out)
            return
        except LimitExceeded as exc:
            await wire.render_error(send, exc, exc.decision.headers())
            return
        except BerthError as exc:
            await wire.render_error(send, exc)
            return
        if reply is not None:
            await wire.respond(send, 200, jsonrpc.result(message.id, reply))

    async def _dispatch(self, grant: Grant, message: jsonrpc.Message, headers: list[tuple[bytes, bytes]],
                        routing: dict[str, str], modern: bool, receive: Receive,
                        send: Send) -> dict[str, object] | None:
        if not modern:
            return await self.methods.legacy(grant, message)
        jsonrpc.check_modern(message, routing, _duplicated(headers))
        if message.method != "subscriptions/listen":
            return await self.methods.modern(grant, message)
        accept = wire.header(headers, b"accept") or b""
        if b"text/event-stream" not in accept:
            raise NotAcceptable("subscriptions/listen answers as text/event-stream")
        await listen(message, receive, send, self.stopping, self.keepalive,
                     changes=lambda: watch.schema_changed(self.resources.calls, grant))
        return None

    async def _acknowledge(self, routing: dict[str, str], modern: bool, send: Send) -> None:
        version = routing.get("mcp-protocol-version", "")
        if modern and version not in jsonrpc.MODERN_VERSIONS:
            raise jsonrpc.unsupported(version)
        await wire.respond(send, 202, b"")


def _duplicated(headers: list[tuple[bytes, bytes]]) -> str | None:
    seen: set[bytes] = set()
    for key, _ in headers:
        if key in ROUTING_HEADERS:
            if key in seen:
                return key.decode()
            seen.add(key)
    return None


def _id_of(body: bytes) -> object:
    """The request id to echo on an error, when the body has a usable one."""
    with contextlib.suppress(jsonrpc.RpcError):
        message = jsonrpc.parse(body)
        return message.id
    return None
