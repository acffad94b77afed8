"""Several gateway processes behind one address: revocation reaches each within a second; limits are shared.

The test is the load balancer: it spreads calls over the processes' ports in
turn. `berth dev` (the API, the worker and a gateway) and two or four
`berth serve gateway` processes run on the suite's catalog and Redis.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from control_plane.settings import Settings
from tests.operations.conftest import Running, environment, free_port, signed_up, start
from tests.operations.test_full_run import SQL_OK, ready_endpoint, rpc

FREE_BURST = 10  # control_plane/plans.py: the free plan's calls per second


def _agent(dev: Running, settings: Settings) -> tuple[dict[str, str], str, str, dict[str, str]]:
    with httpx.Client(base_url=dev.url, timeout=30) as http:
        signed = signed_up(http, settings, "scale@example.com", "a long passphrase here", "scale")
        key = {"Authorization": f"Bearer {signed['api_key']['key']}"}
        endpoint: dict[str, Any] = ready_endpoint(http, key)
        made = http.post(f"/v1/endpoints/{endpoint['id']}/tokens", json={}, headers=key).json()
    agent = {"Authorization": f"Bearer {made['token']}", "x-token-id": made["id"]}
    return key, endpoint["id"], f"/e/{endpoint['slug']}/mcp", agent


@pytest.mark.parametrize("gateways", [2, 4])
def test_revocation_reaches_every_gateway_within_a_second_and_limits_are_shared(
        settings: Settings, tmp_path: Path, processes: list[Running], gateways: int) -> None:
    env = environment(settings, BERTH_TOKEN_CACHE_TTL_SECONDS="300")  # only invalidation can end access
    dev = start(["dev"], env, free_port(), tmp_path / "dev")
    processes.append(dev)
    fleet = [start(["serve", "gateway"], env, free_port(), tmp_path / f"gw{i}") for i in range(gateways)]
    processes.extend(fleet)
    key, endpoint_id, path, agent = _agent(dev, settings)
    token_id = agent.pop("x-token-id")
    clients = [httpx.Client(base_url=g.url, timeout=10) for g in fleet]
    try:
        time.sleep(1.02 - time.time() % 1)  # a fresh wall-clock second, as the limiter counts
        answers = [c.post(path, json=rpc("query", SQL_OK), headers=agent).status_code
                   for c in itertools.islice(itertools.cycle(clients), FREE_BURST + 2 * gateways)]
        assert answers.count(200) <= FREE_BURST and answers.count(429) >= 2 * gateways - 1, answers
        assert all(c.post(path, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                          headers=agent).status_code == 200 for c in clients)  # every process has it cached
        with httpx.Client(base_url=dev.url, timeout=10) as http:
            revoked_at = time.monotonic()
            revoked = http.delete(f"/v1/endpoints/{endpoint_id}/tokens/{token_id}", headers=key)
        assert revoked.status_code == 204
        refused = _until_refused(clients, path, agent, revoked_at)
        assert max(refused) <= 1.0, refused
    finally:
        for client in clients:
            client.close()


def _until_refused(clients: list[httpx.Client], path: str, agent: dict[str, str],
                   since: float) -> list[float]:
    """Seconds after the revocation at which each process first answered 401 (polled every 20 ms)."""
    seen: dict[int, float] = {}
    listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    while len(seen) < len(clients) and time.monotonic() - since < 5:
        for index, client in enumerate(clients):
            if index not in seen and client.post(path, json=listing, headers=agent).status_code == 401:
                seen[index] = time.monotonic() - since
        time.sleep(0.02)
    return [seen.get(i, float("inf")) for i in range(len(clients))]
