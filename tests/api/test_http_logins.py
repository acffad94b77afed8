"""Login throttling per account and per client address, on a moved clock, and the audit rows of logins."""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
import httpx
import pytest

from control_plane.errors import TooManyLogins, Unauthorized
from control_plane.services import identity, login_throttle
from control_plane.services.context import Context
from tests.api.conftest import PASSWORD, Clock, signup

WRONG = "not the password"


async def _fail(ctx: Context, email: str, client: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(Unauthorized):
            await identity.login(ctx, identity.Attempt(email, client), WRONG)


async def test_an_account_is_held_off_only_for_its_short_window(ctx: Context, clock: Clock) -> None:
    await identity.signup(ctx, "ann@x.io", PASSWORD, "Acme")
    limit = login_throttle.ACCOUNT.limit
    # Spread over many addresses: the per-account window is what trips.
    for n in range(limit):
        await _fail(ctx, "ANN@x.io", f"198.51.100.{n}", 1)
        clock.now += timedelta(seconds=1)
    with pytest.raises(TooManyLogins) as held:
        await identity.login(ctx, identity.Attempt("ann@x.io", "203.0.113.9"), PASSWORD)
    assert 1 <= held.value.retry_after <= login_throttle.ACCOUNT.seconds
    assert held.value.status == 429
    clock.now += timedelta(seconds=held.value.retry_after)
    assert (await identity.login(ctx, identity.Attempt("ann@x.io", "203.0.113.9"), PASSWORD)).access_token


async def test_a_success_clears_the_account_but_not_the_address(ctx: Context, clock: Clock) -> None:
    await identity.signup(ctx, "ann@x.io", PASSWORD, "Acme")
    await _fail(ctx, "ann@x.io", "192.0.2.7", login_throttle.ACCOUNT.limit - 1)
    await identity.login(ctx, identity.Attempt("ann@x.io", "192.0.2.7"), PASSWORD)
    await _fail(ctx, "ann@x.io", "192.0.2.7", login_throttle.ACCOUNT.limit - 1)
    account, address = login_throttle.counters("ann@x.io", "192.0.2.7")
    assert await ctx.redis.zcard(account.key) == login_throttle.ACCOUNT.limit - 1
    assert await ctx.redis.zcard(address.key) == 2 * (login_throttle.ACCOUNT.limit - 1)


async def test_one_address_guessing_many_accounts_is_held_off(ctx: Context, clock: Clock) -> None:
    for n in range(login_throttle.ADDRESS.limit):
        await _fail(ctx, f"user{n}@x.io", "192.0.2.66", 1)
    with pytest.raises(TooManyLogins):
        await identity.login(ctx, identity.Attempt("someone@x.io", "192.0.2.66"), PASSWORD)
    await _fail(ctx, "someone@x.io", "192.0.2.67", 1)  # another address is not held off
    clock.now += timedelta(seconds=login_throttle.ADDRESS.seconds + 1)
    await _fail(ctx, "someone@x.io", "192.0.2.66", 1)


async def test_over_http_it_is_429_with_retry_after(client: httpx.AsyncClient) -> None:
    await signup(client, "a@x.io")
    for _ in range(login_throttle.ACCOUNT.limit):
        wrong = await client.post("/v1/login", json={"email": "a@x.io", "password": WRONG})
        assert wrong.status_code == 401
    held = await client.post("/v1/login", json={"email": "a@x.io", "password": PASSWORD})
    assert held.status_code == 429 and held.json()["error"]["code"] == "too_many_logins"
    assert int(held.headers["retry-after"]) >= 1


async def test_logins_are_audited_without_the_password(client: httpx.AsyncClient,
                                                       catalog: asyncpg.Connection) -> None:
    await signup(client, "a@x.io")
    await client.post("/v1/login", json={"email": "a@x.io", "password": WRONG})
    await client.post("/v1/login", json={"email": "nobody@x.io", "password": WRONG})
    await client.post("/v1/login", json={"email": "a@x.io", "password": PASSWORD},
                      headers={"X-Request-Id": "login-1"})
    rows = await catalog.fetch("SELECT tenant_id, actor, action, outcome, request_id, detail::text AS detail "
                               "FROM audit_log WHERE action LIKE 'login.%' ORDER BY id")
    assert [(r["action"], r["outcome"]) for r in rows] == [
        ("login.failed", "denied"), ("login.failed", "denied"), ("login.succeeded", "ok")]
    assert rows[0]["tenant_id"] is not None and rows[0]["actor"].startswith("user:")
    assert (rows[1]["tenant_id"], rows[1]["actor"]) == (None, "anonymous")
    assert rows[2]["request_id"] == "login-1"
    for row in rows:
        assert WRONG not in row["detail"] and PASSWORD not in row["detail"] and "nobody" not in row["detail"]


async def test_the_api_role_may_append_only_anonymous_login_failures(ctx: Context) -> None:
    async with ctx.pool.acquire() as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("INSERT INTO audit_log (tenant_id, actor, action, outcome) "
                               "VALUES (NULL, 'anonymous', 'endpoint.delete', 'ok')")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("INSERT INTO audit_log (tenant_id, actor, action, outcome) "
                               "VALUES ($1, 'anonymous', 'login.failed', 'denied')", uuid.uuid4())
