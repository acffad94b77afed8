"""The authorization server over HTTP: metadata, registration, authorize, consent, code exchange, refusals."""

from __future__ import annotations

from datetime import timedelta

import httpx

from tests.oauth.conftest import (
    BASE,
    CALLBACK,
    Account,
    Clock,
    authorize_params,
    code_for,
    consent,
    csrf_of,
    exchange,
    pkce,
    query_of,
    register,
    sign_in,
)


async def test_metadata_is_served_where_clients_look(browser: httpx.AsyncClient, account: Account) -> None:
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration",
                 f"/.well-known/oauth-authorization-server/e/{account.slug}/mcp"):
        found = await browser.get(path)
        assert found.status_code == 200, path
        doc = found.json()
        assert doc["issuer"] == BASE and doc["code_challenge_methods_supported"] == ["S256"]
        assert doc["client_id_metadata_document_supported"] is True
    for path in (f"/.well-known/oauth-protected-resource/e/{account.slug}/mcp",
                 f"/.well-known/oauth-protected-resource/e/{account.slug}",
                 f"/e/{account.slug}/mcp/.well-known/oauth-protected-resource"):
        described = (await browser.get(path)).json()
        assert described == {**described, "resource": account.resource, "authorization_servers": [BASE]}
    refused = await browser.post(f"/e/{account.slug}/mcp", json={"jsonrpc": "2.0", "id": 7, "method": "ping"})
    assert refused.status_code == 401
    assert f'resource_metadata="{BASE}/.well-known/oauth-protected-resource/e/{account.slug}/mcp"' in \
        refused.headers["www-authenticate"]
    assert refused.json()["id"] == 7 and refused.json()["error"]["data"]["code"] == "invalid_token"


async def test_registration_takes_public_clients_with_safe_redirects_only(browser: httpx.AsyncClient) -> None:
    assert await register(browser, "http://localhost:33418/cb")
    assert await register(browser, "https://app.example/cb")
    for body, error in (
        ({"redirect_uris": ["http://app.example/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://app.example/cb#x"]}, "invalid_redirect_uri"),
        ({"redirect_uris": []}, "invalid_redirect_uri"),
        ({"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "client_secret_basic"},
         "invalid_client_metadata"),
        ({"redirect_uris": [CALLBACK], "grant_types": ["client_credentials"]}, "invalid_client_metadata"),
    ):
        refused = await browser.post("/oauth/register", json=body)
        assert refused.status_code == 400 and refused.json()["error"] == error, body


async def test_the_whole_flow_by_hand_and_its_tokens_work_on_the_gateway_path(
    browser: httpx.AsyncClient, account: Account,
) -> None:
    client_id = await register(browser)
    started = await browser.get("/oauth/authorize", params=authorize_params(client_id, account, pkce()[1]))
    assert started.status_code == 303 and started.headers["location"].startswith("/oauth/consent?request=")
    to_login = await browser.get(started.headers["location"])
    assert to_login.status_code == 303 and to_login.headers["location"].startswith("/login?next=")
    await sign_in(browser, account.email)
    page = await browser.get(started.headers["location"])
    assert "Test app" in page.text and "127.0.0.1:9" in page.text and "not verified" in page.text
    assert 'id="allow-writes"' in page.text and "checked" not in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    verifier, challenge = pkce()
    code = await code_for(browser, client_id, account, challenge)
    issued = await exchange(browser, client_id, code, verifier, account)
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["access_token"].startswith("smcp_") and body["refresh_token"].startswith("bthr_")
    assert body["scope"] == "mcp" and body["expires_in"] == 3600 and body["token_type"] == "Bearer"
    grants = await browser.get("/v1/oauth/grants", headers={"Authorization": f"Bearer {account.api_key}"})
    assert [(g["client_name"], g["slug"], g["scopes"]) for g in grants.json()] == \
        [("Test app", account.slug, ["mcp"])]


async def test_writes_only_when_the_box_is_ticked(browser: httpx.AsyncClient, account: Account) -> None:
    client_id = await register(browser)
    await sign_in(browser, account.email)
    verifier, challenge = pkce()
    code = await code_for(browser, client_id, account, challenge, writes=True)
    assert (await exchange(browser, client_id, code, verifier, account)).json()["scope"] == "mcp mcp:write"


async def test_authorize_refusals(browser: httpx.AsyncClient, account: Account) -> None:
    client_id = await register(browser)
    challenge = pkce()[1]
    unregistered = await browser.get("/oauth/authorize", params=authorize_params(
        client_id, account, challenge, redirect_uri="http://127.0.0.1:9/elsewhere"))
    assert unregistered.status_code == 400 and "location" not in unregistered.headers
    params = authorize_params("bthc_nobody", account, challenge)
    unknown = await browser.get("/oauth/authorize", params=params)
    assert unknown.status_code == 400 and "location" not in unknown.headers
    cases = {
        "missing PKCE": ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        "plain PKCE": ({"code_challenge_method": "plain"}, "invalid_request"),
        "no method": ({"code_challenge_method": None}, "invalid_request"),
        "missing resource": ({"resource": None}, "invalid_target"),
        "wrong resource": ({"resource": "https://other.example/e/x/mcp"}, "invalid_target"),
        "two endpoints": ({"resource": f"{BASE}/e/{account.slug}/mcp/../x"}, "invalid_target"),
        "bad scope": ({"scope": "mcp admin"}, "invalid_scope"),
        "implicit": ({"response_type": "token"}, "unsupported_response_type"),
    }
    for name, (override, error) in cases.items():
        refused = await browser.get("/oauth/authorize", params=authorize_params(client_id, account, challenge,
                                                                                **override))
        assert refused.status_code == 303, name
        location = refused.headers["location"]
        assert location.startswith(CALLBACK) and query_of(location)["error"] == error, name
        assert query_of(location)["state"] == "st-123", name


async def test_token_refusals(browser: httpx.AsyncClient, account: Account, clock: Clock) -> None:
    client_id = await register(browser)
    await sign_in(browser, account.email)

    async def refused(error: str, *, later: timedelta = timedelta(0), **override: str | None) -> None:
        verifier, challenge = pkce()
        code = await code_for(browser, client_id, account, challenge)
        clock.now += later
        answer = await exchange(browser, client_id, code, verifier, account, **override)
        assert answer.status_code == 400 and answer.json()["error"] == error, (override, answer.text)

    await refused("invalid_grant", code_verifier="a" * 50)
    await refused("invalid_request", code_verifier=None)
    await refused("invalid_target", resource=None)
    await refused("invalid_target", resource=f"{BASE}/e/another-endpoint/mcp")
    await refused("invalid_grant", redirect_uri="http://127.0.0.1:9/other")
    await refused("invalid_grant", later=timedelta(minutes=4))
    unknown = await browser.post("/oauth/token", data={"grant_type": "password", "username": "x"})
    assert unknown.json()["error"] == "unsupported_grant_type"


async def test_a_replayed_code_is_refused_and_withdraws_what_it_gave(
    browser: httpx.AsyncClient, account: Account,
) -> None:
    client_id = await register(browser)
    await sign_in(browser, account.email)
    verifier, challenge = pkce()
    code = await code_for(browser, client_id, account, challenge)
    first = await exchange(browser, client_id, code, verifier, account)
    assert first.status_code == 200
    again = await exchange(browser, client_id, code, verifier, account)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    listed = await browser.get("/v1/oauth/grants?include_revoked=true",
                               headers={"Authorization": f"Bearer {account.api_key}"})
    assert [g["revoked_why"] for g in listed.json()] == ["code_replayed"]
    refresh = await browser.post("/oauth/token", data={"grant_type": "refresh_token", "client_id": client_id,
                                                       "refresh_token": first.json()["refresh_token"]})
    assert refresh.json()["error"] == "invalid_grant"


async def test_consent_forged_from_another_site_issues_no_code(
    browser: httpx.AsyncClient, account: Account,
) -> None:
    client_id = await register(browser)
    await sign_in(browser, account.email)
    started = await browser.get("/oauth/authorize", params=authorize_params(client_id, account, pkce()[1]))
    request_id = query_of(started.headers["location"])["request"]
    page = await browser.get(started.headers["location"])
    token = csrf_of(page)
    form = {"request": request_id, "decision": "allow"}
    for headers, data in (({}, form),
                          ({}, {**form, "csrf_token": "forged"}),
                          ({"Origin": "https://evil.example"}, {**form, "csrf_token": token}),
                          ({"Sec-Fetch-Site": "cross-site"}, {**form, "csrf_token": token})):
        forged = await browser.post("/oauth/consent", data=data, headers=headers)
        assert forged.status_code == 403 and forged.json()["error"]["code"] == "csrf_failed"
    # the genuine form still works once, then the request is spent
    decided = await browser.post("/oauth/consent", data={**form, "csrf_token": token})
    assert "code" in query_of(decided.headers["location"])
    spent = await browser.post("/oauth/consent", data={**form, "csrf_token": token})
    assert spent.status_code == 400


async def test_deny_and_expired_requests_answer_the_client(
    browser: httpx.AsyncClient, account: Account, clock: Clock,
) -> None:
    client_id = await register(browser)
    await sign_in(browser, account.email)
    started = await browser.get("/oauth/authorize", params=authorize_params(client_id, account, pkce()[1]))
    denied = await consent(browser, started.headers["location"], decision="deny")
    assert query_of(denied.headers["location"]) == {
        "error": "access_denied", "error_description": "the user denied access", "state": "st-123"}
    started = await browser.get("/oauth/authorize", params=authorize_params(client_id, account, pkce()[1]))
    clock.now += timedelta(minutes=11)
    expired = await browser.get(started.headers["location"])
    assert query_of(expired.headers["location"])["error"] == "access_denied"


async def test_another_tenants_endpoint_cannot_be_granted(
    browser: httpx.AsyncClient, account: Account,
) -> None:
    client_id = await register(browser)
    other = Account("x@example.com", account.tenant_id, account.api_key, "shop-notmine")
    await sign_in(browser, account.email)
    started = await browser.get("/oauth/authorize", params=authorize_params(client_id, other, pkce()[1]))
    page = await browser.get(started.headers["location"])
    assert page.status_code == 403 and "has no endpoint" in page.text
