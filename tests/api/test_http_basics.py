"""The /v1 edge: signup and login over HTTP, request ids, bad input, and errors that leak nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from control_plane.api import errors
from tests.api.conftest import bearer, signup

PASSWORD = "correct horse battery"


async def test_signup_then_login_and_both_credentials_work(client: httpx.AsyncClient) -> None:
    made = await client.post("/v1/signup", json={"email": "a@x.io", "password": PASSWORD, "tenant_name": "A"})
    assert made.status_code == 201
    body = made.json()
    assert set(body) == {"tenant", "user", "api_key"} and body["api_key"]["key"].startswith("bth_")
    login = await client.post("/v1/login", json={"email": "a@x.io", "password": PASSWORD})
    assert login.status_code == 200 and login.json()["token_type"] == "bearer"
    for token in (body["api_key"]["key"], login.json()["access_token"]):
        listed = await client.get("/v1/api-keys", headers=bearer(token))
        assert listed.status_code == 200
        assert [k["prefix"] for k in listed.json()] == [body["api_key"]["prefix"]]
        assert "key" not in listed.json()[0]


async def test_wrong_password_and_unknown_email_are_the_same_401(client: httpx.AsyncClient) -> None:
    await signup(client, "a@x.io")
    wrong = await client.post("/v1/login", json={"email": "a@x.io", "password": "not the password"})
    unknown = await client.post("/v1/login", json={"email": "b@x.io", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    other = await client.post("/v1/login", json={"email": "a@x.io", "password": PASSWORD,
                                                 "tenant_id": str(uuid.uuid4())})
    assert other.status_code == 403 and other.json()["error"]["code"] == "not_a_member"


async def test_missing_or_bad_credentials_are_401_json(client: httpx.AsyncClient) -> None:
    for headers in ({}, bearer("bth_nope"), bearer("not.a.jwt")):
        answer = await client.get("/v1/endpoints", headers=headers)
        assert answer.status_code == 401 and answer.json()["error"]["code"]
        assert answer.headers["www-authenticate"].startswith("Bearer")


async def test_bad_input_gets_a_clear_4xx_and_writes_nothing(client: httpx.AsyncClient) -> None:
    headers = await signup(client, "a@x.io")
    cases = [
        (b"{not json", 400, "invalid_json"),
        (b'{"name": 5}', 422, "invalid_request"),
        (b"{}", 422, "invalid_request"),
        (b'{"name": "drop table; --"}', 422, "invalid_request"),
        (b'{"name": "shop", "plan": "gold"}', 422, "invalid_request"),
    ]
    for raw, status, code in cases:
        answer = await client.post("/v1/endpoints", content=raw,
                                   headers={**headers, "content-type": "application/json"})
        assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), raw
    assert (await client.get("/v1/endpoints", headers=headers)).json() == []
    huge = await client.post("/v1/endpoints", json={"name": "x" * 2_000_000}, headers=headers)
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "payload_too_large"
    weak = await client.post("/v1/signup", json={"email": "b@x.io", "password": "short", "tenant_name": "B"})
    assert weak.status_code == 422 and weak.json()["error"]["fields"][0]["field"] == "password"


async def test_request_id_is_echoed_and_audited(client: httpx.AsyncClient) -> None:
    headers = await signup(client, "a@x.io")
    traced = {**headers, "X-Request-Id": "req-42"}
    made = await client.post("/v1/endpoints", json={"name": "shop"}, headers=traced)
    assert made.headers["x-request-id"] == "req-42"
    page = (await client.get("/v1/audit", headers=headers)).json()
    assert (page["items"][0]["action"], page["items"][0]["request_id"]) == ("endpoint.create", "req-42")
    generated = await client.get("/v1/endpoints", headers=headers)
    assert len(generated.headers["x-request-id"]) == 32


async def test_openapi_lists_the_v1_routes(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    wanted = {"/v1/signup", "/v1/endpoints/{endpoint}/tokens/{token_id}/rotate", "/v1/account"}
    assert wanted <= set(spec["paths"])
    assert (await client.get("/docs")).status_code == 200


async def test_unexpected_errors_are_a_bare_500() -> None:
    app = FastAPI()
    errors.install(app)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("postgresql://owner:hunter2@db/x smcp_secret")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        answer = await http.get("/boom")
    assert answer.status_code == 500
    assert answer.json() == {"error": {"code": "internal", "message": "internal error"}}
    assert "hunter2" not in answer.text


async def test_a_streamed_body_over_the_cap_is_413_json(client: httpx.AsyncClient) -> None:
    headers = await signup(client, "a@x.io")

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(40):
            yield b"x" * 50_000
        yield b'"}'

    answer = await client.post("/v1/endpoints", content=chunks(),
                               headers={**headers, "content-type": "application/json"})
    assert "content-length" not in answer.request.headers
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "payload_too_large"
