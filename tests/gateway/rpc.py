"""Raw JSON-RPC bodies and headers for tests that look at the wire itself."""

from __future__ import annotations

from typing import Any

import httpx

MODERN = "2026-07-28"
LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}  # not counted by the rate limiter
META = {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {}}


def call(tool: str = "query", arguments: dict[str, Any] | None = None, request_id: int = 1) -> dict[str, Any]:
    """A legacy-era tools/call."""
    args = arguments if arguments is not None else {"sql": "SELECT count(*) AS n FROM items"}
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
            "params": {"name": tool, "arguments": args}}


def modern(method: str, params: dict[str, Any] | None = None, request_id: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": {**(params or {}), "_meta": META}}


def modern_headers(token: str, method: str, name: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}", "MCP-Protocol-Version": MODERN, "Mcp-Method": method,
               "Accept": "application/json, text/event-stream"}
    if name is not None:
        headers["Mcp-Name"] = name
    return headers


async def item_count(http: httpx.AsyncClient, path: str, token: str) -> int:
    """How many rows ``items`` holds, asked through the gateway's ``query`` tool."""
    response = await http.post(path, json=call("query", {"sql": "SELECT count(*) AS n FROM items"}),
                               headers={"Authorization": f"Bearer {token}"})
    rows = response.json()["result"]["structuredContent"]["rows"]
    return int(rows[0][0])
