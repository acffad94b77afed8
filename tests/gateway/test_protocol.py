"""The wire: JSON-RPC errors, both eras' checks, 405s, Origin, OAuth discovery 404s, listen."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from control_plane.settings import Settings
from data_plane.app import Gateway
from data_plane.lifespan import serving
from data_plane.tools import QueryLimits, ToolOutcome
from tests.gateway import rpc
from tests.gateway.conftest import ORIGIN, Endpoint, IssueToken, MakeEndpoint, bearer


@pytest.fixture
async def opened(make_endpoint: MakeEndpoint, issue_token: IssueToken) -> tuple[Endpoint, str]:
    endpoint = await make_endpoint()
    return endpoint, await issue_token(endpoint)


async def test_json_rpc_errors_on_the_legacy_era(
    http: httpx.AsyncClient, opened: tuple[Endpoint, str],
) -> None:
    endpoint, token = opened

    async def post(body: bytes) -> httpx.Response:
        return await http.post(endpoint.path, content=body, headers=bearer(token))

    parse = await post(b"{nope")
    assert parse.status_code == 400 and parse.json()["error"]["code"] == -32700
    assert parse.json()["id"] is None
    for not_rpc in (b"[1, 2]", b'{"id": 1, "method": "ping"}',
                    b'{"jsonrpc": "2.0", "id": true, "method": "x"}'):
        assert (await post(not_rpc)).json()["error"]["code"] == -32600
    unknown = await post(orjson.dumps({"jsonrpc": "2.0", "id": 7, "method": "prompts/list"}))
    assert unknown.status_code == 200 and unknown.json() == {
        "jsonrpc": "2.0", "id": 7, "error": {"code": -32601, "message": "Method not found: prompts/list"}}
    no_name = await post(orjson.dumps({"jsonrpc": "2.0", "id": 8, "method": "tools/call", "params": {}}))
    assert no_name.json()["error"]["code"] == -32602
    unknown_tool = await post(orjson.dumps(rpc.call("drop_everything", {})))
    assert unknown_tool.json()["error"]["code"] == -32602
    ping = await post(orjson.dumps({"jsonrpc": "2.0", "id": 9, "method": "ping", "params": {"_meta": {}}}))
    assert ping.json() == {"jsonrpc": "2.0", "id": 9, "result": {}}
    note = await post(orjson.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))
    assert note.status_code == 202 and note.content == b""


async def test_modern_era_checks_envelope_headers_and_version(
    http: httpx.AsyncClient, opened: tuple[Endpoint, str],
) -> None:
    endpoint, token = opened
    headers = rpc.modern_headers(token, "tools/list")
    no_meta = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    assert (await http.post(endpoint.path, json=no_meta, headers=headers)).json()["error"]["code"] == -32602
    wrong_method = await http.post(endpoint.path, json=rpc.modern("tools/list"),
                                   headers=rpc.modern_headers(token, "tools/call"))
    assert wrong_method.status_code == 400 and wrong_method.json()["error"]["code"] == -32020
    wrong_name = await http.post(endpoint.path, json=rpc.modern("tools/call", {"name": "query"}),
                                 headers=rpc.modern_headers(token, "tools/call", "explain"))
    assert wrong_name.json()["error"]["code"] == -32020
    future = {**headers, "MCP-Protocol-Version": "2099-01-01"}
    body = rpc.modern("tools/list")
    body["params"]["_meta"] = {**rpc.META, "io.modelcontextprotocol/protocolVersion": "2099-01-01"}
    unsupported = await http.post(endpoint.path, json=body, headers=future)
    assert unsupported.status_code == 400 and unsupported.json()["error"]["code"] == -32022
    assert "2026-07-28" in unsupported.json()["error"]["data"]["supported"]
    unknown = await http.post(endpoint.path, json=rpc.modern("prompts/list"),
                              headers=rpc.modern_headers(token, "prompts/list"))
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == -32601


async def test_modern_results_carry_result_type_and_cache_directives(
    http: httpx.AsyncClient, opened: tuple[Endpoint, str],
) -> None:
    endpoint, token = opened
    listed = (await http.post(endpoint.path, json=rpc.modern("tools/list"),
                              headers=rpc.modern_headers(token, "tools/list"))).json()["result"]
    assert listed["resultType"] == "complete" and listed["cacheScope"] == "private" and listed["ttlMs"] > 0
    discovered = (await http.post(endpoint.path, json=rpc.modern("server/discover"),
                                  headers=rpc.modern_headers(token, "server/discover"))).json()["result"]
    assert discovered["supportedVersions"] == ["2026-07-28"] and discovered["resultType"] == "complete"
    called = await http.post(endpoint.path, json=rpc.modern("tools/call", rpc.call()["params"]),
                             headers=rpc.modern_headers(token, "tools/call", "query"))
    assert called.json()["result"]["resultType"] == "complete"


async def test_methods_origins_and_oauth_paths(http: httpx.AsyncClient, opened: tuple[Endpoint, str]) -> None:
    endpoint, token = opened
    for method in ("GET", "DELETE"):
        response = await http.request(method, endpoint.path, headers=bearer(token))
        assert response.status_code == 405 and response.headers["allow"] == "POST"
    evil = await http.post(endpoint.path, json=rpc.call(), headers={**bearer(token), "Origin": "https://evil.example"})
    assert evil.status_code == 403
    fine = await http.post(endpoint.path, json=rpc.call(), headers={**bearer(token), "Origin": ORIGIN})
    assert fine.status_code == 200
    # The gateway alone serves protected-resource metadata; the authorization server's paths are the
    # control plane's (tests/oauth), so a gateway-only process answers them with a JSON 404.
    described = await http.get(f"/.well-known/oauth-protected-resource{endpoint.path}")
    assert described.status_code == 200 and described.json()["resource"].endswith(endpoint.path)
    for path in ("/.well-known/oauth-protected-resource", "/.well-known/oauth-authorization-server",
                 "/.well-known/openid-configuration", "/register", "/authorize", "/token"):
        response = await http.get(path)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found", path


async def test_listen_acknowledges_and_ends_cleanly_on_shutdown(
    gateway: Gateway, http: httpx.AsyncClient, opened: tuple[Endpoint, str],
) -> None:
    endpoint, token = opened
    gateway.keepalive = 0.05

    async def stop_soon() -> None:
        await asyncio.sleep(0.2)
        gateway.stopping.set()

    listen = rpc.modern("subscriptions/listen", {"notifications": {}})
    json_only = {**rpc.modern_headers(token, "subscriptions/listen"), "Accept": "application/json"}
    assert (await http.post(endpoint.path, json=listen, headers=json_only)).status_code == 406
    stopper = asyncio.create_task(stop_soon())
    response = await http.post(endpoint.path, json=rpc.modern("subscriptions/listen", {"notifications": {}}),
                               headers=rpc.modern_headers(token, "subscriptions/listen"))
    await stopper
    assert response.headers["content-type"] == "text/event-stream"
    events = [orjson.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")]
    assert events[0]["method"] == "notifications/subscriptions/acknowledged"
    assert events[-1] == {"jsonrpc": "2.0", "id": 1, "result": {
        "resultType": "complete", "_meta": {"io.modelcontextprotocol/subscriptionId": 1}}}
    assert ": keepalive" in response.text



class BrokenTools:
    """A toolbox with a bug in it."""

    def tool_definitions(self, can_write: bool) -> list[dict[str, Any]]:
        return []

    def is_write_tool(self, name: str) -> bool:
        return False

    async def call_tool(self, name: str, arguments: Mapping[str, Any] | None, conn: asyncpg.Connection,
                        limits: QueryLimits) -> ToolOutcome:
        raise RuntimeError("a bug")


async def test_a_failure_inside_the_gateway_is_a_json_500(
    gateway_settings: Settings, opened: tuple[Endpoint, str],
) -> None:
    endpoint, token = opened
    async with serving(gateway_settings, tools=BrokenTools()) as app:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
            response = await http.post(endpoint.path, json=rpc.call(), headers=bearer(token))
    assert response.status_code == 500 and response.json()["error"]["code"] == "internal"


async def test_a_body_over_the_cap_is_refused_with_413(
    http: httpx.AsyncClient, opened: tuple[Endpoint, str], gateway_settings: Settings,
) -> None:
    endpoint, token = opened
    huge = rpc.call("query", {"sql": "SELECT '" + "x" * gateway_settings.max_body_bytes + "'"})
    response = await http.post(endpoint.path, json=huge, headers=bearer(token))
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"
