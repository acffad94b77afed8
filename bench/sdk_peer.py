"""sdk-peer: a one-tool, single-tenant Postgres MCP server built the usual way on the official SDK.

``MCPServer`` with a ``query`` tool over one asyncpg pool opened in the server's
lifespan, served as stateless JSON Streamable HTTP at ``/mcp``. No token check
(single tenant): it does less than Berth's gateway, never more.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from mcp.server.mcpserver import Context, MCPServer

from bench import stack

POOL_SIZE = 4  # the gateway's default per-endpoint pool cap


def build(dsn: str) -> MCPServer[asyncpg.Pool]:
    @asynccontextmanager
    async def lifespan(_: MCPServer[asyncpg.Pool]) -> AsyncIterator[asyncpg.Pool]:
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=POOL_SIZE)
        try:
            yield pool
        finally:
            await pool.close()

    server: MCPServer[asyncpg.Pool] = MCPServer("sdk-peer", lifespan=lifespan, log_level="WARNING")

    @server.tool()
    async def query(sql: str, ctx: Context[asyncpg.Pool, Any]) -> dict[str, Any]:
        """Run one read-only SELECT and return its rows."""
        pool = ctx.request_context.lifespan_context
        rows = await pool.fetch(sql)
        return {"rows": [dict(row) for row in rows]}

    return server


def main() -> None:
    server = build(os.environ["BENCH_DSN"])
    app = server.streamable_http_app(json_response=True, stateless_http=True)
    stack.run(app, int(sys.argv[1]))


if __name__ == "__main__":
    main()
