"""Inputs that once reached a 500 are refused at the edge; 5xx carry the request id; 405, 415, 422 say why."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI

from control_plane.api import errors
from control_plane.api.middleware import RequestId
from tests.api.conftest import PASSWORD, signup

JSON = {"content-type": "application/json"}


async def _post_raw(client: httpx.AsyncClient, path: str, raw: str,
                    headers: dict[str, str]) -> httpx.Response:
    # Escapes written by hand, so the body carries \u0000 and lone surrogates as a client sent them.
    return await client.post(path, content=raw.encode(), headers={**headers, **JSON})


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800", "\\udfff"])
async def test_nul_and_lone_surrogates_are_422_in_every_string_field(client: httpx.AsyncClient,
                                                                    escape: str) -> None:
    headers = await signup(client, "a@x.io")
    endpoint = (await client.post("/v1/endpoints", json={"name": "shop"}, headers=headers)).json()["id"]
    cases = [
        ("/v1/login", f'{{"email": "a{escape}@x.test", "password": "xxxxxxxxxxxx"}}', {}),
        ("/v1/login", f'{{"email": "a@x.io", "password": "x{escape}xxxxxxxxxxx"}}', {}),
        ("/v1/signup", f'{{"email": "b@x.io", "password": "{PASSWORD}", "tenant_name": "B{escape}"}}', {}),
        ("/v1/api-keys", f'{{"name": "ci{escape}"}}', headers),
        (f"/v1/endpoints/{endpoint}/tokens", f'{{"name": "agent{escape}"}}', headers),
        ("/v1/endpoints", f'{{"name": "shop", "region": "eu{escape}"}}', headers),
    ]
    for path, raw, sent in cases:
        answer = await _post_raw(client, path, raw, sent)
        assert answer.status_code == 422, (path, raw, answer.text)
        assert answer.json()["error"]["code"] == "invalid_request"


async def test_a_field_name_with_nul_or_a_surrogate_is_echoed_safely(client: httpx.AsyncClient) -> None:
    for key, shown in (("\\u0000x", "\\x00x"), ("\\ud800", "body")):
        raw = f'{{"email": "a@x.io", "password": "p", "{key}": 1}}'
        answer = await _post_raw(client, "/v1/login", raw, {})
        assert answer.status_code == 422, raw
        assert shown in answer.json()["error"]["message"]


async def test_integers_past_64_bits_and_year_zero_are_422(client: httpx.AsyncClient) -> None:
    headers = await signup(client, "a@x.io")
    for path, params in [("/v1/audit", {"before": "99999999999999999999999"}),
                         ("/v1/audit", {"before": str(2**63)}), ("/v1/audit", {"limit": "1e400"}),
                         ("/v1/usage", {"month": "0000-01"}), ("/v1/usage", {"month": "2026-1\u0000"})]:
        answer = await client.get(path, params=params, headers=headers)
        assert answer.status_code == 422, (path, params, answer.text)
    big = await client.post("/v1/endpoints/shop/tokens", json={"expires_in": 10**30}, headers=headers)
    assert big.status_code == 422
    ok = await client.get("/v1/audit", params={"before": str(2**63 - 1)}, headers=headers)
    assert ok.status_code == 200


async def test_validation_lists_every_failing_field(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/signup", json={"email": "nope", "password": "short", "tenant_name": ""})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert [f["field"] for f in error["fields"]] == ["email", "password", "tenant_name"]
    assert "email" in error["message"] and "tenant_name" in error["message"]


async def test_a_body_without_content_type_gets_a_415_that_says_so(client: httpx.AsyncClient) -> None:
    bare = await client.post("/v1/login", content=b'{"email": "a@x.io", "password": "xxxxxxxxxxxx"}')
    assert bare.status_code == 415
    assert "no Content-Type" in bare.json()["error"]["message"]
    form = await client.post("/v1/login", content=b"email=a", headers={"content-type": "text/plain"})
    assert form.status_code == 415 and "text/plain" in form.json()["error"]["message"]


async def test_unreadable_utf8_is_invalid_json_400(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/login", content=b'{"email": "\xff"}', headers=JSON)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_json"


async def test_405_carries_allow(client: httpx.AsyncClient) -> None:
    answer = await client.put("/v1/login", json={})
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
    assert answer.json()["error"]["code"] == "method_not_allowed"
    both = await client.request("OPTIONS", "/v1/endpoints")
    assert both.status_code == 405 and both.headers["allow"] == "GET, POST"


async def test_a_500_carries_the_request_id_in_header_and_log(caplog: pytest.LogCaptureFixture) -> None:
    app = FastAPI()
    errors.install(app)
    app.add_middleware(RequestId)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("postgresql://owner:hunter2@db/x")

    transport = httpx.ASGITransport(app=app)  # raises app exceptions: none may escape
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        with caplog.at_level(logging.ERROR, logger="berth.api"):
            answer = await http.get("/boom", headers={"X-Request-Id": "req-500"})
    assert answer.status_code == 500 and answer.headers["x-request-id"] == "req-500"
    assert answer.json() == {"error": {"code": "internal", "message": "internal error"}}
    assert any("req-500" in r.getMessage() and "hunter2" not in r.getMessage() for r in caplog.records)
