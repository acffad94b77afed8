"""Resources and documents: llms.txt, manifest.json and tables as resources, built once per schema version."""

from __future__ import annotations

import asyncio
import time
from importlib import resources
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from mcp.shared.exceptions import MCPError

from data_plane.app import Gateway
from tests.gateway import rpc
from tests.gateway.conftest import Endpoint, IssueToken, MakeEndpoint, bearer, sdk_client


async def _demo(endpoint: Endpoint) -> None:
    conn = await asyncpg.connect(endpoint.owner_dsn)
    try:
        await conn.execute((resources.files("cli") / "demo.sql").read_text() + "; ANALYZE")
    finally:
        await conn.close()


@pytest.mark.parametrize("mode", ["auto", "legacy", "2026-07-28"])
async def test_the_sdk_client_lists_and_reads_resources(
    mode: str, gateway: Gateway, make_endpoint: MakeEndpoint, issue_token: IssueToken,
) -> None:
    endpoint = await make_endpoint()
    await _demo(endpoint)
    token = await issue_token(endpoint)
    base = f"berth://{endpoint.slug}/"
    async with sdk_client(gateway, endpoint, token, mode) as client:
        if mode != "2026-07-28":  # pinned to the modern era, the client skips server/discover
            assert client.server_capabilities.resources is not None
        listed = {str(r.uri): r for r in (await client.list_resources()).resources}
        assert {f"{base}llms.txt", f"{base}manifest.json", f"{base}tables/public/orders"} <= set(listed)
        [template] = (await client.list_resource_templates()).resource_templates
        assert template.uri_template == f"{base}tables/{{schema}}/{{table}}{{?format}}"
        llms = (await client.read_resource(f"{base}llms.txt")).contents[0]
        text = getattr(llms, "text", "")
        assert "### public.orders (table, ~300 rows; key: id)" in text
        assert "Each public.orders row points at one public.customers row: " \
               "public.orders.customer_id = public.customers.id." in text
        assert "- get_orders_for_customers(customer_id: integer, limit?: integer): " in text
        as_json = (await client.read_resource(f"{base}tables/public/orders?format=json")).contents[0]
        table = orjson.loads(getattr(as_json, "text", "{}"))
        assert table["foreign_keys"] == [{"columns": ["customer_id"], "references": {
            "schema": "public", "table": "customers", "columns": ["id"]}}]
        assert {"list_orders", "count_orders_by_status"} <= set(table["tools"])
        markdown = (await client.read_resource(f"{base}tables/public/customers")).contents[0]
        assert "Rows of public.orders point at a public.customers row" in getattr(markdown, "text", "")
        with pytest.raises(MCPError):
            await client.read_resource(f"{base}tables/public/nope")


async def test_llms_txt_lists_tools_with_arguments_and_is_served_at_the_well_known_path(
    http: httpx.AsyncClient, make_endpoint: MakeEndpoint, issue_token: IssueToken,
) -> None:
    endpoint = await make_endpoint()
    await _demo(endpoint)
    token = await issue_token(endpoint)
    plain = await http.get(f"/e/{endpoint.slug}/llms.txt", headers=bearer(token))
    known = await http.get(f"/e/{endpoint.slug}/.well-known/llms.txt", headers=bearer(token))
    assert plain.status_code == known.status_code == 200 and plain.text == known.text
    manifest = (await http.get(f"/e/{endpoint.slug}/manifest.json", headers=bearer(token))).json()
    listing = {t["name"]: t for t in manifest["tools"]}["list_orders"]
    limit = {a["name"]: a for a in listing["arguments"]}["limit"]
    assert (limit["type"], limit["required"]) == ("integer", False)
    assert (await http.get(f"/e/{endpoint.slug}/.well-known/llms.txt")).status_code == 401


async def test_documents_cost_no_query_and_no_call_but_follow_the_schema(
    gateway: Gateway, http: httpx.AsyncClient, make_endpoint: MakeEndpoint, issue_token: IssueToken,
) -> None:
    endpoint = await make_endpoint()  # free plan: 10 calls a second would be the limit if documents counted
    token, writer = await issue_token(endpoint), await issue_token(endpoint, write=True)
    schemas, documents = gateway.resources.schemas, gateway.resources.documents
    assert schemas is not None
    await http.get(f"/e/{endpoint.slug}/llms.txt", headers=bearer(token))
    builds, checks, renders = schemas.builds, schemas.checks, documents.renders
    started = time.monotonic()
    for path in ["llms.txt", "manifest.json", ".well-known/llms.txt"] * 10:
        assert (await http.get(f"/e/{endpoint.slug}/{path}", headers=bearer(token))).status_code == 200
    read = rpc.modern("resources/read", {"uri": f"berth://{endpoint.slug}/tables/public/items"})
    for _ in range(10):
        answer = await http.post(endpoint.path, json=read,
                                 headers=rpc.modern_headers(token, "resources/read", read["params"]["uri"]))
        assert answer.status_code == 200, answer.text
    elapsed = time.monotonic() - started
    assert (schemas.builds, documents.renders) == (builds, renders)
    assert schemas.checks - checks <= elapsed / 0.5 + 1  # the shared fingerprint check, at most every 0.5 s
    made = await http.post(endpoint.path, headers=bearer(writer),
                           json=rpc.call("execute", {"sql": "CREATE TABLE boats (id int PRIMARY KEY)"}))
    assert made.json()["result"]["isError"] is False
    changed = time.monotonic()
    llms = f"/e/{endpoint.slug}/llms.txt"
    while "### public.boats" not in (await http.get(llms, headers=bearer(token))).text:
        assert time.monotonic() - changed < 1.0, "llms.txt did not follow the schema"
        await asyncio.sleep(0.05)
    assert documents.renders == renders + 1


async def test_an_unknown_resource_is_invalid_params_in_both_eras(
    http: httpx.AsyncClient, make_endpoint: MakeEndpoint, issue_token: IssueToken,
) -> None:
    endpoint = await make_endpoint()
    token = await issue_token(endpoint)
    for uri in ("berth://other-slug/llms.txt", f"berth://{endpoint.slug}/tables/public/items?format=xml",
                f"berth://{endpoint.slug}/tables/public"):
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": 3, "method": "resources/read", "params": {"uri": uri}}
        legacy = await http.post(endpoint.path, json=body, headers=bearer(token))
        assert (legacy.status_code, legacy.json()["error"]["code"]) == (200, -32602), uri
        modern = await http.post(endpoint.path, json=rpc.modern("resources/read", {"uri": uri}),
                                 headers=rpc.modern_headers(token, "resources/read", uri))
        assert (modern.status_code, modern.json()["error"]["data"]) == (400, {"uri": uri})
