"""Revoking a share ends the other tenant's tokens for it on every gateway process within a second."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from control_plane.settings import Settings
from tests.operations.conftest import Running, environment, free_port, signed_up, start
from tests.operations.test_full_run import SQL_OK, ready_endpoint, rpc

PASSWORD = "a long passphrase here"


def _tenant(http: httpx.Client, settings: Settings, email: str) -> dict[str, str]:
    made = signed_up(http, settings, email, PASSWORD, email)
    return {"Authorization": f"Bearer {made['api_key']['key']}"}


def test_a_revoked_share_ends_the_other_tenants_tokens_on_every_process(
        settings: Settings, tmp_path: Path, processes: list[Running]) -> None:
    env = environment(settings, BERTH_TOKEN_CACHE_TTL_SECONDS="300")  # only invalidation can end access
    dev = start(["dev"], env, free_port(), tmp_path / "dev")
    processes.append(dev)
    fleet = [start(["serve", "gateway"], env, free_port(), tmp_path / f"gw{i}") for i in range(2)]
    processes.extend(fleet)
    with httpx.Client(base_url=dev.url, timeout=30) as http:
        a, b = _tenant(http, settings, "a@example.com"), _tenant(http, settings, "b@example.com")
        endpoint = ready_endpoint(http, a)
        offer = http.post("/v1/shares", json={"endpoint": endpoint["id"], "to": "b@example.com"}, headers=a)
        assert offer.status_code == 201, offer.text
        share = offer.json()["id"]
        assert http.post(f"/v1/shares/{share}/accept", headers=b).status_code == 200
        token = http.post(f"/v1/shares/{share}/tokens", json={}, headers=b).json()["token"]
    agent, path = {"Authorization": f"Bearer {token}"}, f"/e/{endpoint['slug']}/mcp"
    clients = [httpx.Client(base_url=g.url, timeout=10) for g in fleet]
    try:
        for client in clients:  # every process has B's token cached
            assert client.post(path, json=rpc("query", SQL_OK), headers=agent).status_code == 200
        with httpx.Client(base_url=dev.url, timeout=10) as http:
            revoked_at = time.monotonic()
            assert http.delete(f"/v1/shares/{share}", headers=a).status_code == 200
        for client in clients:
            while client.post(path, json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                              headers=agent).status_code != 401:
                assert time.monotonic() - revoked_at < 1.0, "a gateway process still takes the token"
                time.sleep(0.05)
    finally:
        for client in clients:
            client.close()
