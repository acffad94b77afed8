"""A loopback TCP proxy in front of the suite's Postgres that counts request/response round trips."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class Counter:
    """A round trip starts each time the client speaks after the server has answered."""

    trips: int = 0
    _client_turn: bool = False

    def client_sent(self) -> None:
        if not self._client_turn:
            self.trips += 1
            self._client_turn = True

    def server_sent(self) -> None:
        self._client_turn = False


async def _open_upstream(dsn: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    parts = urlsplit(dsn)
    socket_dir = parse_qs(parts.query).get("host", [""])[0]
    port = parts.port or 5432
    if socket_dir.startswith("/"):
        return await asyncio.open_unix_connection(f"{socket_dir}/.s.PGSQL.{port}")
    return await asyncio.open_connection(parts.hostname or "localhost", port)


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seen: object) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            seen()  # type: ignore[operator]
            writer.write(data)
            await writer.drain()
    writer.close()


@contextlib.asynccontextmanager
async def counting_proxy(dsn: str, counter: Counter) -> AsyncIterator[dict[str, object]]:
    """Connection keywords for ``asyncpg.connect`` that reach ``dsn``'s server through the counter."""
    tasks: set[asyncio.Task[None]] = set()

    async def serve(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await _open_upstream(dsn)
        tasks.add(asyncio.create_task(_pump(client_r, server_w, counter.client_sent)))
        tasks.add(asyncio.create_task(_pump(server_r, client_w, counter.server_sent)))

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    parts = urlsplit(dsn)
    yield {
        "host": "127.0.0.1",
        "port": server.sockets[0].getsockname()[1],
        "user": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "database": unquote(parts.path.lstrip("/")),
        "ssl": False,
    }
    server.close()
    await server.wait_closed()
    await asyncio.gather(*tasks, return_exceptions=True)
