"""Generated tools through the gateway: the official SDK client calls every kind; schema changes show up."""

from __future__ import annotations

import asyncio
import time
from importlib import resources
from typing import Any

import asyncpg
import httpx
import pytest

from control_plane.settings import Settings
from data_plane.app import Gateway
from data_plane.lifespan import serving
from tests.gateway import rpc
from tests.gateway.conftest import Endpoint, IssueToken, MakeEndpoint, bearer, sdk_client
from tests.tools.outputs import assert_fits, check_definition

CALLS: list[tuple[str, dict[str, Any]]] = [
    ("list_orders", {"limit": 2}),
    ("get_customers_by_id", {"id": 3}),
    ("search_products", {"q": "anchor"}),
    ("filter_orders", {"status": "paid", "limit": 2}),
    ("count_orders_by_status", {}),
    ("summarize_customers", {}),
    ("get_orders_for_customers", {"customer_id": 8}),
    ("get_customers_for_orders", {"id": 1}),
    ("get_customers_by_id", {"id": 99999}),  # not found: an error result that still fits
]


async def _demo(endpoint: Endpoint) -> None:
    conn = await asyncpg.connect(endpoint.owner_dsn)
    try:
        await conn.execute((resources.files("cli") / "demo.sql").read_text() + "; ANALYZE")
    finally:
        await conn.close()


@pytest.mark.parametrize("mode", ["auto", "legacy", "2026-07-28"])
async def test_the_sdk_client_lists_and_calls_every_generated_kind(
    mode: str, gateway: Gateway, make_endpoint: MakeEndpoint, issue_token: IssueToken,
) -> None:
    endpoint = await make_endpoint()
    await _demo(endpoint)
    token = await issue_token(endpoint)
    async with sdk_client(gateway, endpoint, token, mode) as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert {"query", "list_orders", "get_order_items_by_order_id_and_product_id",
                "count_orders_by_status", "summarize_items"} <= set(listed)
        assert not [name for name in listed if name.startswith(("insert_", "update_", "delete_"))]
        for name, arguments in CALLS:
            # the SDK client validates structuredContent against the outputSchema itself
            result = await client.call_tool(name, arguments)
            assert result.is_error is (arguments == {"id": 99999}), (name, result)


async def test_every_result_on_the_wire_fits_its_output_schema(
    http: httpx.AsyncClient, make_endpoint: MakeEndpoint, issue_token: IssueToken,
) -> None:
    endpoint = await make_endpoint("scale")  # more calls in a second than the free burst allows
    await _demo(endpoint)
    token = await issue_token(endpoint)
    tools = (await http.post(endpoint.path, json=rpc.LIST, headers=bearer(token))).json()["result"]["tools"]
    by_name = {tool["name"]: tool for tool in tools}
    for tool in tools:
        check_definition(tool)
    for name, arguments in [*CALLS, ("query", {"sql": "SELECT nope"}), ("describe_table", {"table": "nope"})]:
        reply = await http.post(endpoint.path, json=rpc.call(name, arguments), headers=bearer(token))
        assert_fits(by_name[name], reply.json()["result"])


async def _tool_names(http: httpx.AsyncClient, endpoint: Endpoint, token: str) -> set[str]:
    reply = await http.post(endpoint.path, json=rpc.LIST, headers=bearer(token))
    return {tool["name"] for tool in reply.json()["result"]["tools"]}


async def test_a_schema_change_reaches_another_gateway_within_a_second(
    gateway: Gateway, gateway_settings: Settings, make_endpoint: MakeEndpoint, issue_token: IssueToken,
) -> None:
    endpoint = await make_endpoint()
    writer, reader = await issue_token(endpoint, write=True), await issue_token(endpoint)
    async with serving(gateway_settings) as other:
        first = httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gw")
        second = httpx.AsyncClient(transport=httpx.ASGITransport(app=other), base_url="http://gw")
        async with first, second:
            assert "list_boats" not in await _tool_names(second, endpoint, reader)
            made = await first.post(endpoint.path, headers=bearer(writer), json=rpc.call(
                "execute", {"sql": "CREATE TABLE boats (id int PRIMARY KEY, name text NOT NULL)"}))
            assert made.json()["result"]["isError"] is False
            assert "list_boats" in await _tool_names(first, endpoint, writer)  # this replica: at once
            changed = time.monotonic()
            while "list_boats" not in await _tool_names(second, endpoint, reader):
                assert time.monotonic() - changed < 1.0, "the other gateway did not see the new table"
                await asyncio.sleep(0.05)
            await first.post(endpoint.path, headers=bearer(writer),
                             json=rpc.call("execute", {"sql": "DROP TABLE boats"}))
            stale = await second.post(endpoint.path, headers=bearer(reader), json=rpc.call("list_boats", {}))
            result = stale.json()["result"]
            assert result["isError"] is True
            assert result["structuredContent"]["error"]["code"] == "schema_changed"


async def test_write_tools_need_the_setting_and_a_write_token(
    http: httpx.AsyncClient, make_endpoint: MakeEndpoint, issue_token: IssueToken,
    catalog: asyncpg.Connection, gateway: Gateway,
) -> None:
    endpoint = await make_endpoint()
    writer, reader = await issue_token(endpoint, write=True), await issue_token(endpoint)
    assert "insert_items" not in await _tool_names(http, endpoint, writer)
    await catalog.execute("UPDATE endpoints SET allow_writes = true WHERE id = $1", endpoint.id)
    gateway.resources.auth.forget_endpoint(endpoint.id)
    writes = {"insert_items", "update_items_by_id", "delete_items_by_id"}
    assert writes <= await _tool_names(http, endpoint, writer)
    assert "insert_items" not in await _tool_names(http, endpoint, reader)
    inserted = await http.post(endpoint.path, headers=bearer(writer),
                               json=rpc.call("insert_items", {"id": 4, "name": "dinghy"}))
    assert inserted.json()["result"]["structuredContent"]["row"] == {"id": 4, "name": "dinghy"}
    refused = await http.post(endpoint.path, headers=bearer(reader),
                              json=rpc.call("insert_items", {"id": 5, "name": "raft"}))
    assert refused.json()["result"]["isError"] is True
    assert await rpc.item_count(http, endpoint.path, reader) == 4
