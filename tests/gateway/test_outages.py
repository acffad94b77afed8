"""Dependencies failing under a running gateway: Redis gone keeps serving; catalog gone fails closed."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import asyncpg
import httpx
from pydantic import SecretStr

from cli.embedded import embedded_redis
from control_plane.dsn import database_name
from control_plane.settings import Settings
from data_plane.app import Gateway
from data_plane.lifespan import serving
from tests.gateway import rpc
from tests.gateway.conftest import IssueToken, MakeEndpoint, bearer

BLOCK = """
ALTER DATABASE {db} ALLOW_CONNECTIONS false;
SELECT pg_terminate_backend(pid) FROM pg_stat_activity
WHERE datname = '{name}' AND application_name = 'berth:berth_gateway';
"""
GATEWAY_SESSIONS = """
SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'berth:berth_gateway'
"""


async def test_calls_are_served_when_redis_stops(
    gateway_settings: Settings, make_endpoint: MakeEndpoint, issue_token: IssueToken, tmp_path: Path,
) -> None:
    endpoint = await make_endpoint()
    token = await issue_token(endpoint)
    with contextlib.ExitStack() as stack:
        own_redis = stack.enter_context(embedded_redis(tmp_path / "own-redis"))
        settings = gateway_settings.model_copy(update={"redis_url": SecretStr(own_redis)})
        async with serving(settings) as app:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
                first = await http.post(endpoint.path, json=rpc.call(), headers=bearer(token))
                assert first.status_code == 200
                assert not app.degraded
                stack.close()  # Redis stops here
                for _ in range(3):
                    served = await http.post(endpoint.path, json=rpc.call(), headers=bearer(token))
                    assert served.status_code == 200 and served.json()["result"]["isError"] is False
                assert app.degraded


async def test_catalog_down_serves_cached_tokens_and_refuses_the_rest_with_503(
    gateway: Gateway, http: httpx.AsyncClient, make_endpoint: MakeEndpoint, issue_token: IssueToken,
    catalog_url: str, server_url: str, catalog: asyncpg.Connection,
) -> None:
    endpoint = await make_endpoint()
    cached, uncached = await issue_token(endpoint), await issue_token(endpoint)
    assert (await http.post(endpoint.path, json=rpc.call(), headers=bearer(cached))).status_code == 200
    name = database_name(catalog_url)
    admin = await asyncpg.connect(server_url)
    await admin.execute(BLOCK.format(db=f'"{name}"', name=name))
    # pg_terminate_backend only signals: wait until the gateway's sessions are really gone.
    for _ in range(100):
        if not await admin.fetchval(GATEWAY_SESSIONS, name):
            break
        await asyncio.sleep(0.05)
    try:
        served = await http.post(endpoint.path, json=rpc.call(), headers=bearer(cached))
        assert served.status_code == 200 and served.json()["result"]["isError"] is False
        refused = await http.post(endpoint.path, json=rpc.call(), headers=bearer(uncached))
        assert refused.status_code == 503 and refused.json()["error"]["code"] == "unavailable"
        assert "unreachable" in await gateway.resources.audit.flush()
        assert len(gateway.resources.audit) >= 1  # kept for when the catalog is back
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()
    await gateway.resources.audit.flush()
    audited = await catalog.fetchval(
        "SELECT count(*) FROM audit_log WHERE endpoint_id = $1 AND action = 'tool.call'", endpoint.id)
    assert audited == 2
