"""Access and refresh tokens: rotation, reuse detection, RFC 7009 revocation, and /v1/oauth/grants."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from cli.server import RootApp
from tests.oauth.conftest import Account, code_for, exchange, new_account, pkce, register, sign_in

PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}


async def tokens_for(browser: httpx.AsyncClient, account: Account) -> tuple[str, dict[str, Any]]:
    client_id = await register(browser)
    await sign_in(browser, account.email)
    verifier, challenge = pkce()
    code = await code_for(browser, client_id, account, challenge)
    issued = await exchange(browser, client_id, code, verifier, account)
    assert issued.status_code == 200, issued.text
    return client_id, issued.json()


async def ping(browser: httpx.AsyncClient, account: Account, access: str) -> int:
    headers = {"Authorization": f"Bearer {access}"}
    answer = await browser.post(f"/e/{account.slug}/mcp", json=PING, headers=headers)
    return answer.status_code


async def refused_within_a_second(browser: httpx.AsyncClient, account: Account, access: str) -> float:
    started = time.monotonic()
    while await ping(browser, account, access) != 401:
        assert time.monotonic() - started < 1.0, "the gateway still accepts a revoked token"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def refresh(browser: httpx.AsyncClient, client_id: str, token: str) -> httpx.Response:
    return await browser.post("/oauth/token", data={"grant_type": "refresh_token", "client_id": client_id,
                                                    "refresh_token": token})


async def test_refresh_rotates_and_a_reused_refresh_token_kills_the_grant(
    berth: RootApp, browser: httpx.AsyncClient, account: Account,
) -> None:
    client_id, first = await tokens_for(browser, account)
    assert await ping(browser, account, first["access_token"]) == 200
    second = await refresh(browser, client_id, first["refresh_token"])
    assert second.status_code == 200, second.text
    fresh = second.json()
    assert fresh["refresh_token"] != first["refresh_token"] and fresh["access_token"] != first["access_token"]
    assert await ping(browser, account, fresh["access_token"]) == 200
    other_client = await refresh(browser, "bthc_someone_else", fresh["refresh_token"])
    assert other_client.json()["error"] == "invalid_grant"
    reused = await refresh(browser, client_id, first["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    await refused_within_a_second(browser, account, fresh["access_token"])
    assert (await refresh(browser, client_id, fresh["refresh_token"])).json()["error"] == "invalid_grant"


async def test_revoking_a_grant_through_the_api_stops_its_tokens_within_a_second(
    browser: httpx.AsyncClient, account: Account,
) -> None:
    _client_id, issued = await tokens_for(browser, account)
    assert await ping(browser, account, issued["access_token"]) == 200  # now cached by the gateway
    headers = {"Authorization": f"Bearer {account.api_key}"}
    [grant] = (await browser.get("/v1/oauth/grants", headers=headers)).json()
    assert (await browser.delete(f"/v1/oauth/grants/{grant['id']}", headers=headers)).status_code == 204
    await refused_within_a_second(browser, account, issued["access_token"])
    assert (await browser.get("/v1/oauth/grants", headers=headers)).json() == []
    again = await browser.delete(f"/v1/oauth/grants/{grant['id']}", headers=headers)
    assert again.status_code == 204  # idempotent
    audit = (await browser.get("/v1/audit", headers=headers)).json()
    assert {"oauth.grant", "oauth.revoke"} <= {row["action"] for row in audit["items"]}


async def test_rfc7009_revocation_by_the_client(browser: httpx.AsyncClient, account: Account) -> None:
    client_id, issued = await tokens_for(browser, account)
    unknown = await browser.post("/oauth/revoke", data={"token": "nonsense", "client_id": client_id})
    assert unknown.status_code == 200
    access = issued["access_token"]
    stranger = await browser.post("/oauth/revoke", data={"token": access, "client_id": "bthc_x"})
    assert stranger.status_code == 200 and await ping(browser, account, issued["access_token"]) == 200
    revoked = await browser.post("/oauth/revoke", data={"token": access, "client_id": client_id})
    assert revoked.status_code == 200
    await refused_within_a_second(browser, account, issued["access_token"])
    assert (await refresh(browser, client_id, issued["refresh_token"])).json()["error"] == "invalid_grant"


async def test_another_tenant_cannot_see_or_revoke_the_grant(
    browser: httpx.AsyncClient, account: Account, catalog: Any,
) -> None:
    _client_id, issued = await tokens_for(browser, account)
    headers = {"Authorization": f"Bearer {account.api_key}"}
    [grant] = (await browser.get("/v1/oauth/grants", headers=headers)).json()
    stranger = await new_account(browser, catalog)
    theirs = {"Authorization": f"Bearer {stranger.api_key}"}
    assert (await browser.get("/v1/oauth/grants", headers=theirs)).json() == []
    assert (await browser.delete(f"/v1/oauth/grants/{grant['id']}", headers=theirs)).status_code == 404
    assert await ping(browser, account, issued["access_token"]) == 200
