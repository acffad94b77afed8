"""Sign-up when Berth sends mail (a real SMTP catcher on loopback): one answer for every address, the
owner of a taken address told by mail, the account made only by the mailed link with its password, once."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis

from control_plane.api.app import serving
from control_plane.mail import catcher
from control_plane.services import signups
from control_plane.settings import Settings
from tests.api.conftest import PASSWORD, Clock, bearer, confirmation_tokens, signed_up

BASE = "https://berth.test"
STRANGER = "a stranger's own passphrase"  # noqa: S105 - what someone else types at sign-up


@pytest.fixture
async def mail(settings: Settings) -> AsyncIterator[Settings]:
    """Settings whose mail goes to a catcher on a free loopback port, running for the test."""
    configured = catcher.for_dev(settings.model_copy(update={"public_url": BASE}))
    async with catcher.catching(configured):
        yield configured


@pytest.fixture
async def api(mail: Settings, clock: Clock, redis_client: aioredis.Redis) -> AsyncIterator[httpx.AsyncClient]:
    """The control plane on those settings, its clock the test's; Redis emptied first (the per-address
    mail counts of an earlier run would otherwise still be there)."""
    async with serving(mail) as app:
        app.state.ctx = dataclasses.replace(app.state.ctx, clock=clock)  # type: ignore[attr-defined]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
            yield http


async def ask(api: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await api.post("/v1/signup", json={"email": email, "password": password, "tenant_name": "Acme"})


async def log_in(api: httpx.AsyncClient, email: str, password: str) -> int:
    return (await api.post("/v1/login", json={"email": email, "password": password})).status_code


async def test_a_taken_and_a_fresh_address_get_the_same_answer_and_the_owner_is_told(
    api: httpx.AsyncClient, mail: Settings, catalog: asyncpg.Connection,
) -> None:
    await signed_up(api, "owner@example.com", mail=mail)
    taken = await ask(api, "OWNER@example.com", STRANGER)
    fresh = await ask(api, "new@example.com", STRANGER)
    assert taken.status_code == fresh.status_code == 202
    assert taken.content == fresh.content
    assert taken.json() == {"status": "check_your_email", "message": signups.CHECK_MAIL}
    told = [m for m in catcher.caught(mail) if m.subject == signups.TAKEN_SUBJECT]
    assert [m.to for m in told] == ["owner@example.com"]  # the account's own address
    assert f"{BASE}/login" in told[0].text and "/signup/confirm" not in told[0].text
    assert confirmation_tokens(mail, "new@example.com") and not confirmation_tokens(mail, "OWNER@example.com")
    assert await catalog.fetchval("SELECT count(*) FROM pending_signups WHERE email ILIKE 'owner@%'") == 0
    assert await log_in(api, "owner@example.com", STRANGER) == 401
    assert await log_in(api, "owner@example.com", PASSWORD) == 200


async def test_nothing_exists_until_the_link_and_the_password_confirm_it_once(
    api: httpx.AsyncClient, mail: Settings, catalog: asyncpg.Connection,
) -> None:
    assert (await ask(api, "ann@example.com")).status_code == 202
    assert await catalog.fetchval("SELECT count(*) FROM users") == 0
    assert await log_in(api, "ann@example.com", PASSWORD) == 401
    stored = await catalog.fetchrow("SELECT password_hash, token_hash FROM pending_signups")
    [token] = confirmation_tokens(mail, "ann@example.com")
    assert stored["password_hash"].startswith("$argon2id$") and PASSWORD not in stored["password_hash"]
    assert token.encode() not in stored["token_hash"]

    wrong = await api.post("/v1/signup/confirm", json={"token": token, "password": STRANGER})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_credentials"
    made = await api.post("/v1/signup/confirm", json={"token": token, "password": PASSWORD})
    assert made.status_code == 201, made.text
    assert made.json()["user"]["email"] == "ann@example.com" and made.json()["tenant"]["name"] == "Acme"
    assert (await api.get("/v1/endpoints", headers=bearer(made.json()["api_key"]["key"]))).status_code == 200
    assert await log_in(api, "ann@example.com", PASSWORD) == 200

    again = await api.post("/v1/signup/confirm", json={"token": token, "password": PASSWORD})
    assert again.status_code == 401 and again.json()["error"]["code"] == "invalid_signup_link"
    assert await catalog.fetchval("SELECT count(*) FROM users") == 1
    assert await catalog.fetchval("SELECT count(*) FROM pending_signups") == 0
    user_id = made.json()["user"]["id"]
    audit = await catalog.fetchrow("SELECT actor, target, detail::text FROM audit_log "
                                   "WHERE action = 'signup.confirm'")
    assert audit["actor"] == f"user:{user_id}" and audit["target"] == user_id
    assert token not in audit["detail"] and PASSWORD not in audit["detail"]


async def test_two_confirmations_at_once_make_one_account(
    api: httpx.AsyncClient, mail: Settings, catalog: asyncpg.Connection,
) -> None:
    await ask(api, "bob@example.com")
    await ask(api, "bob@example.com")  # asked twice: two links, either makes the account, never both
    tokens = confirmation_tokens(mail, "bob@example.com")
    assert len(tokens) == 2
    answers = await asyncio.gather(*[api.post("/v1/signup/confirm", json={"token": t, "password": PASSWORD})
                                     for t in (*tokens, *tokens)])
    assert sorted(a.status_code for a in answers)[0] == 201
    assert [a.status_code for a in answers].count(201) == 1, [a.text for a in answers]
    assert {a.json()["error"]["code"] for a in answers if a.status_code != 201} <= {
        "invalid_signup_link", "already_exists"}
    assert await catalog.fetchval("SELECT count(*) FROM users") == 1
    assert await catalog.fetchval("SELECT count(*) FROM tenants") == 1


async def test_an_expired_link_is_refused(api: httpx.AsyncClient, mail: Settings, clock: Clock,
                                          catalog: asyncpg.Connection) -> None:
    await ask(api, "late@example.com")
    [token] = confirmation_tokens(mail, "late@example.com")
    clock.now += signups.TTL + timedelta(seconds=1)
    late = await api.post("/v1/signup/confirm", json={"token": token, "password": PASSWORD})
    assert late.status_code == 401 and late.json()["error"]["code"] == "invalid_signup_link"
    assert await catalog.fetchval("SELECT count(*) FROM users") == 0


async def test_unknown_links_are_refused_with_the_code(api: httpx.AsyncClient) -> None:
    unknown = await api.post("/v1/signup/confirm", json={"token": "not-a-token", "password": PASSWORD})
    assert unknown.status_code == 401 and unknown.json()["error"]["code"] == "invalid_signup_link"


async def test_an_address_gets_at_most_five_mails_an_hour(api: httpx.AsyncClient, mail: Settings) -> None:
    answers = [await ask(api, "busy@example.com") for _ in range(signups.PER_ADDRESS + 2)]
    assert {a.status_code for a in answers} == {202}
    assert len(confirmation_tokens(mail, "busy@example.com")) == signups.PER_ADDRESS
