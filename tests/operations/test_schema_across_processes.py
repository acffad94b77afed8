"""A table made through one gateway process shows in another process's tools/list within a second."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from control_plane.settings import Settings
from tests.operations.conftest import Running, environment, free_port, signed_up, start
from tests.operations.test_full_run import ready_endpoint, rpc

LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
POLL = 0.05
CREATE = "CREATE TABLE harbour (id int PRIMARY KEY, name text)"


def _names(client: httpx.Client, path: str, agent: dict[str, str]) -> set[str]:
    answer = client.post(path, json=LIST, headers=agent)
    assert answer.status_code == 200, answer.text
    tools: list[dict[str, Any]] = answer.json()["result"]["tools"]
    return {tool["name"] for tool in tools}


def test_ddl_on_one_gateway_process_reaches_another_within_a_second(
        settings: Settings, tmp_path: Path, processes: list[Running]) -> None:
    env = environment(settings)
    dev = start(["dev"], env, free_port(), tmp_path / "dev")
    processes.append(dev)
    other = start(["serve", "gateway"], env, free_port(), tmp_path / "gw")
    processes.append(other)
    with httpx.Client(base_url=dev.url, timeout=30) as http:
        signed = signed_up(http, settings, "ddl@example.com", "a long passphrase here", "ddl")
        key = {"Authorization": f"Bearer {signed['api_key']['key']}"}
        endpoint = ready_endpoint(http, key)
        made = http.post(f"/v1/endpoints/{endpoint['id']}/tokens", json={"scopes": ["mcp", "mcp:write"]},
                         headers=key).json()
    agent, path = {"Authorization": f"Bearer {made['token']}"}, f"/e/{endpoint['slug']}/mcp"
    first, second = httpx.Client(base_url=dev.url, timeout=10), httpx.Client(base_url=other.url, timeout=10)
    with first, second:
        assert "list_harbour" not in _names(second, path, agent)  # the other process has the catalog cached
        ddl = first.post(path, json=rpc("execute", {"sql": CREATE}), headers=agent)
        assert ddl.status_code == 200 and ddl.json()["result"]["isError"] is False, ddl.text
        made_at = time.monotonic()
        while "list_harbour" not in _names(second, path, agent):
            assert time.monotonic() - made_at < 1.0, "the other gateway process still lists the old schema"
            time.sleep(POLL)
