"""A full run of `berth dev` as a real process: logs, metrics, request ids and audit rows, no secret leaked.

Signup (through the mailed link `berth dev`'s catcher keeps), an endpoint, a
token, MCP calls (one with a caller's X-Request-Id, one failing, one with a
wrong token); then /metrics is scraped and parsed, the audit rows are read, and
every line the process logged is parsed as JSON and searched for the token, the
API key, the password, the sign-up link's token and the connection strings.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from prometheus_client.parser import text_string_to_metric_families

from control_plane.settings import Settings
from tests.api.conftest import confirmation_tokens
from tests.operations.conftest import Running, environment, free_port, signed_up, start

PASSWORD = "a long and unusual passphrase"  # noqa: S105 - the test account's
SQL_OK = {"sql": "SELECT 1 AS one"}
SQL_BAD = {"sql": "SELECT * FROM no_such_table"}


def rpc(tool: str, arguments: dict[str, Any], ident: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": ident, "method": "tools/call",
            "params": {"name": tool, "arguments": arguments}}


def ready_endpoint(http: httpx.Client, key: dict[str, str]) -> dict[str, Any]:
    made = http.post("/v1/endpoints", json={"name": "ledger"}, headers=key)
    assert made.status_code == 202, made.text
    for _ in range(300):
        endpoint: dict[str, Any] = http.get(f"/v1/endpoints/{made.json()['id']}", headers=key).json()
        if endpoint["status"] == "ready":
            return endpoint
        time.sleep(0.1)
    raise AssertionError(f"endpoint not ready: {endpoint}")


def exercise(running: Running, settings: Settings) -> dict[str, Any]:
    """Drive the running process like a tenant and an agent; returns what was made."""
    with httpx.Client(base_url=running.url, timeout=30) as http:
        signed = signed_up(http, settings, "ops@example.com", PASSWORD, "ops")
        api_key = signed["api_key"]["key"]
        key = {"Authorization": f"Bearer {api_key}"}
        endpoint = ready_endpoint(http, key)
        token = http.post(f"/v1/endpoints/{endpoint['id']}/tokens", json={}, headers=key).json()["token"]
        agent = {"Authorization": f"Bearer {token}"}
        path = f"/e/{endpoint['slug']}/mcp"
        assert endpoint["mcp_url"].endswith(path)
        traced = http.post(path, json=rpc("query", SQL_OK), headers={**agent, "X-Request-Id": "trace-42"})
        assert traced.headers["x-request-id"] == "trace-42"
        failing = http.post(path, json=rpc("query", SQL_BAD), headers=agent)
        assert failing.json()["result"]["isError"] is True
        assert failing.headers["x-request-id"]  # made when the caller sent none
        wrong = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
        assert http.post(path, json=rpc("query", SQL_OK), headers={"Authorization": f"Bearer {wrong}"}
                         ).status_code == 401
        time.sleep(1.0)  # the gateway writes audit rows every 0.5 s
        metrics = http.get("/metrics")
    return {"api_key": api_key, "token": token, "endpoint": endpoint, "metrics": metrics,
            "tenant_id": signed["tenant"]["id"]}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_a_full_run_is_observable_and_leaks_nothing(settings: Settings, server_url: str,
                                                         tmp_path: Path, processes: list[Running]) -> None:
    env = environment(settings, BERTH_LOG_FORMAT="json", BERTH_LOG_LEVEL="debug")
    running = start(["dev"], env, free_port(), tmp_path / "run")
    processes.append(running)
    made = exercise(running, settings)

    assert made["metrics"].status_code == 200
    found = samples(made["metrics"].text)
    route = "/e/{slug}/mcp"
    assert value(found, "berth_http_requests_total", route=route, method="POST", status="200") >= 2
    assert value(found, "berth_http_requests_total", route=route, method="POST", status="401") == 1
    assert value(found, "berth_http_requests_total", route="/v1/signup", method="POST", status="202") == 1
    assert value(found, "berth_http_requests_total", route="/v1/signup/confirm", method="POST",
                 status="201") == 1
    assert value(found, "berth_http_request_duration_seconds_count", route=route) >= 3
    assert value(found, "berth_tool_calls_total", tool="query", outcome="ok") >= 1
    assert value(found, "berth_tool_calls_total", tool="query", outcome="error") == 1
    assert value(found, "berth_token_lookups_total") >= 1
    assert value(found, "berth_token_cache_hits_total") >= 1
    assert value(found, "berth_endpoint_pools_open") >= 1
    assert value(found, "berth_provider_call_duration_seconds_count", provider="local",
                 operation="create") >= 1
    assert ("berth_jobs_queued", ()) not in found  # by kind only

    conn = await asyncpg.connect(settings.database_url_value)
    try:
        rows = await conn.fetch("SELECT tool, outcome, request_id FROM audit_log WHERE action = 'tool.call'"
                                " ORDER BY id")
    finally:
        await conn.close()
    assert [(r["tool"], r["outcome"]) for r in rows] == [("query", "ok"), ("query", "error")]
    assert rows[0]["request_id"] == "trace-42" and rows[1]["request_id"]

    text = running.stop()
    lines = [orjson.loads(line) for line in text.splitlines() if line.strip()]
    access = [line for line in lines
              if line.get("event") == "request" and line.get("request_id") == "trace-42"]
    assert len(access) == 1, text[-3000:]
    assert access[0]["tenant_id"] == made["tenant_id"]
    assert access[0]["endpoint_id"] == made["endpoint"]["id"]
    assert access[0]["route"] == route and access[0]["status"] == 200
    [link_token] = confirmation_tokens(settings, "ops@example.com")
    secrets = (made["token"], made["api_key"], PASSWORD, link_token, settings.database_url_value, server_url,
               settings.redis_url_value, settings.token_pepper_value.decode(), settings.jwt_secret_value)
    for secret in secrets:
        assert secret not in text
    assert "postgresql://" not in text and "postgres://" not in text
