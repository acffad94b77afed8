"""Each role runs as its own process with only its own secrets, and together they serve a tenant and an agent.

The API gets no seal keys and no tenant servers, the gateway no JWT secret and
no tenant servers, the worker neither the pepper nor the JWT secret: if any of
them read a secret it was not given, it would not start or the run would fail.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from control_plane.settings import Settings
from tests.operations.conftest import Running, environment, free_port, start
from tests.operations.test_full_run import PASSWORD, SQL_OK, ready_endpoint, rpc

SECRETS = ("BERTH_LOCAL_SERVERS", "BERTH_TOKEN_PEPPER", "BERTH_JWT_SECRET", "BERTH_SEAL_KEYS")


def only(settings: Settings, kept: set[str], **extra: str) -> dict[str, str]:
    """The suite's environment for ``settings`` without the secrets not in ``kept``."""
    env = environment(settings, **extra)
    return {name: value for name, value in env.items() if name not in SECRETS or name in kept}


def test_each_role_serves_with_only_its_own_secrets(settings: Settings, tmp_path: Path,
                                                     processes: list[Running]) -> None:
    gateway_port = free_port()
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    gateway = start(["serve", "gateway"], only(settings, {"BERTH_TOKEN_PEPPER", "BERTH_SEAL_KEYS"}),
                    gateway_port, tmp_path / "gateway")
    processes.append(gateway)
    worker = start(["serve", "worker"], only(settings, {"BERTH_SEAL_KEYS", "BERTH_LOCAL_SERVERS"}),
                   free_port(), tmp_path / "worker")
    processes.append(worker)
    api = start(["serve", "api"], only(settings, {"BERTH_TOKEN_PEPPER", "BERTH_JWT_SECRET"},
                                       BERTH_GATEWAY_URL=gateway_url), free_port(), tmp_path / "api")
    processes.append(api)

    with httpx.Client(base_url=api.url, timeout=30) as http:
        body = {"email": "roles@example.com", "password": PASSWORD, "tenant_name": "roles"}
        assert http.post("/v1/signup", json=body).status_code == 201
        login = http.post("/v1/login", json={"email": body["email"], "password": PASSWORD})
        assert login.status_code == 200, login.text  # the API signs a JWT ...
        key = {"Authorization": f"Bearer {login.json()['access_token']}"}  # ... and reads it back
        endpoint = ready_endpoint(http, key)  # the worker provisioned and sealed it
        made = http.post(f"/v1/endpoints/{endpoint['id']}/tokens", json={}, headers=key)
        assert made.status_code == 201, made.text
    assert endpoint["mcp_url"] == f"{gateway_url}/e/{endpoint['slug']}/mcp"
    agent = {"Authorization": f"Bearer {made.json()['token']}"}
    answer = httpx.post(endpoint["mcp_url"], json=rpc("query", SQL_OK), headers=agent, timeout=30)
    assert answer.status_code == 200 and answer.json()["result"]["isError"] is False, answer.text
