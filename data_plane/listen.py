"""A minimal 2026-07-28 ``subscriptions/listen``: acknowledge, keep the stream alive, end it cleanly.

Berth's tool list never changes while a token lives, so no event kind is
honoured: the acknowledgement echoes an empty filter and no event follows.
The stream ends with a result when the gateway shuts down, or when the client
goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping

import orjson
from starlette.types import Receive, Send

from data_plane.jsonrpc import Message

SUBSCRIPTION_KEY = "io.modelcontextprotocol/subscriptionId"
SSE_HEADERS = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache, no-transform"),
               (b"x-accel-buffering", b"no")]


def _event(payload: Mapping[str, object]) -> bytes:
    return b"event: message\r\ndata: " + orjson.dumps(payload) + b"\r\n\r\n"


async def listen(message: Message, receive: Receive, send: Send, stopping: asyncio.Event,
                 keepalive: float) -> str:
    """Serve one listen request until the client leaves or the gateway stops; returns which."""
    meta = {SUBSCRIPTION_KEY: message.id}
    ack = {"jsonrpc": "2.0", "method": "notifications/subscriptions/acknowledged",
           "params": {"notifications": {}, "_meta": meta}}
    await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
    await send({"type": "http.response.body", "body": _event(ack), "more_body": True})
    left = asyncio.ensure_future(_disconnected(receive))
    stop = asyncio.ensure_future(stopping.wait())
    try:
        while True:
            done, _ = await asyncio.wait({left, stop}, timeout=keepalive, return_when=asyncio.FIRST_COMPLETED)
            if left in done:
                return "client left"
            if stop in done:
                end = {"resultType": "complete", "_meta": meta}
                final = {"jsonrpc": "2.0", "id": message.id, "result": end}
                await send({"type": "http.response.body", "body": _event(final), "more_body": False})
                return "gateway stopping"
            await send({"type": "http.response.body", "body": b": keepalive\r\n\r\n", "more_body": True})
    finally:
        for task in (left, stop):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
