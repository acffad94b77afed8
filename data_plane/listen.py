"""A 2026-07-28 ``subscriptions/listen``: acknowledge, tell of schema changes, keep alive, end cleanly.

The tool list and the resources follow the endpoint's schema, so
``toolsListChanged`` and ``resourcesListChanged`` are honoured when asked (and
a ``changes`` watcher is given): each time it returns, the matching
``notifications/tools/list_changed`` / ``notifications/resources/list_changed``
follow on the stream. Other kinds are not honoured. The stream ends with a
result when the gateway shuts down, or when the client goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping

import orjson
from starlette.types import Receive, Send

from data_plane.jsonrpc import Message

SUBSCRIPTION_KEY = "io.modelcontextprotocol/subscriptionId"
EVENTS = {"toolsListChanged": "notifications/tools/list_changed",
          "resourcesListChanged": "notifications/resources/list_changed"}
Changes = Callable[[], Awaitable[None]]
SSE_HEADERS = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache, no-transform"),
               (b"x-accel-buffering", b"no")]


def _event(payload: Mapping[str, object]) -> bytes:
    return b"event: message\r\ndata: " + orjson.dumps(payload) + b"\r\n\r\n"


async def listen(message: Message, receive: Receive, send: Send, stopping: asyncio.Event,
                 keepalive: float, changes: Changes | None = None) -> str:
    """Serve one listen request until the client leaves or the gateway stops; returns which."""
    meta = {SUBSCRIPTION_KEY: message.id}
    honoured = _honoured(message, changes is not None)
    ack = {"jsonrpc": "2.0", "method": "notifications/subscriptions/acknowledged",
           "params": {"notifications": dict.fromkeys(honoured, True), "_meta": meta}}
    await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
    await send({"type": "http.response.body", "body": _event(ack), "more_body": True})
    left = asyncio.ensure_future(_disconnected(receive))
    stop = asyncio.ensure_future(stopping.wait())
    changed = asyncio.ensure_future(changes()) if changes is not None and honoured else None
    try:
        while True:
            waiting = {left, stop} | ({changed} if changed is not None else set())
            done, _ = await asyncio.wait(waiting, timeout=keepalive, return_when=asyncio.FIRST_COMPLETED)
            if left in done:
                return "client left"
            if stop in done:
                end = {"resultType": "complete", "_meta": meta}
                final = {"jsonrpc": "2.0", "id": message.id, "result": end}
                await send({"type": "http.response.body", "body": _event(final), "more_body": False})
                return "gateway stopping"
            if changed is not None and changed in done and changes is not None:
                for kind in honoured:
                    note = {"jsonrpc": "2.0", "method": EVENTS[kind], "params": {"_meta": meta}}
                    await send({"type": "http.response.body", "body": _event(note), "more_body": True})
                changed = asyncio.ensure_future(changes())
                continue
            await send({"type": "http.response.body", "body": b": keepalive\r\n\r\n", "more_body": True})
    finally:
        for task in (left, stop, changed):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


def _honoured(message: Message, watching: bool) -> list[str]:
    """The event kinds asked for that Berth can deliver."""
    asked = message.params.get("notifications")
    if not watching or not isinstance(asked, dict):
        return []
    return [kind for kind in EVENTS if asked.get(kind) is True]


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
