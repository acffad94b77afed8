"""The official MCP Python SDK client lists tools and runs ``query`` in auto, legacy and 2026-07-28 modes."""

from __future__ import annotations

import pytest

from data_plane.app import Gateway
from tests.gateway.conftest import IssueToken, MakeEndpoint, sdk_client


@pytest.mark.parametrize("mode", ["auto", "legacy", "2026-07-28"])
async def test_sdk_client_lists_tools_and_queries(
    mode: str, gateway: Gateway, make_endpoint: MakeEndpoint, issue_token: IssueToken,
) -> None:
    endpoint = await make_endpoint()
    token = await issue_token(endpoint)
    async with sdk_client(gateway, endpoint, token, mode) as client:
        listed = await client.list_tools()
        names = [tool.name for tool in listed.tools]
        assert "query" in names and "execute" not in names
        result = await client.call_tool("query", {"sql": "SELECT name FROM items ORDER BY id"})
        assert result.is_error is False
        assert client.protocol_version == ("2025-11-25" if mode == "legacy" else "2026-07-28")
    assert result.structured_content is not None
    assert "anchor" in str(result.structured_content) and "cleat" in str(result.structured_content)
