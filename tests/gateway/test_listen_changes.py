"""subscriptions/listen tells of schema changes: notifications/tools/list_changed as the fingerprint moves."""

from __future__ import annotations

import asyncio

import httpx
import orjson

from data_plane.app import Gateway
from tests.gateway import rpc
from tests.gateway.conftest import IssueToken, MakeEndpoint, bearer

SUBSCRIPTION = {"io.modelcontextprotocol/subscriptionId": 1}


async def test_a_listener_hears_of_new_tables_and_only_what_it_asked(
    gateway: Gateway, http: httpx.AsyncClient, make_endpoint: MakeEndpoint, issue_token: IssueToken,
) -> None:
    endpoint = await make_endpoint()
    reader, writer = await issue_token(endpoint), await issue_token(endpoint, write=True)
    gateway.keepalive = 0.2
    asked = {"notifications": {"toolsListChanged": True, "promptsListChanged": True}}

    async def change_then_stop() -> None:
        await asyncio.sleep(0.6)  # the listener has read the fingerprint it compares against
        made = await http.post(endpoint.path, headers=bearer(writer), json=rpc.call(
            "execute", {"sql": "CREATE TABLE boats (id int PRIMARY KEY)"}))
        assert made.json()["result"]["isError"] is False
        await asyncio.sleep(1.2)
        gateway.stopping.set()

    changer = asyncio.create_task(change_then_stop())
    response = await http.post(endpoint.path, json=rpc.modern("subscriptions/listen", asked),
                               headers=rpc.modern_headers(reader, "subscriptions/listen"))
    await changer
    events = [orjson.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")]
    assert events[0]["params"]["notifications"] == {"toolsListChanged": True}  # prompts: not honoured
    changes = [e for e in events if e.get("method") == "notifications/tools/list_changed"]
    assert changes == [{"jsonrpc": "2.0", "method": "notifications/tools/list_changed",
                        "params": {"_meta": SUBSCRIPTION}}]
    assert events[-1]["result"]["resultType"] == "complete"


async def test_server_discover_advertises_list_changes(
    http: httpx.AsyncClient, make_endpoint: MakeEndpoint, issue_token: IssueToken,
) -> None:
    endpoint = await make_endpoint()
    token = await issue_token(endpoint)
    found = await http.post(endpoint.path, json=rpc.modern("server/discover"),
                            headers=rpc.modern_headers(token, "server/discover"))
    capabilities = found.json()["result"]["capabilities"]
    assert capabilities["tools"]["listChanged"] is True and capabilities["resources"]["listChanged"] is True
