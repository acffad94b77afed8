"""The service layer the API and the operator CLI share, called directly with a Caller."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Literal

import asyncpg
import pytest
import redis.asyncio as aioredis
from argon2 import PasswordHasher

from control_plane.catalog.db import create_pool
from control_plane.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized, Unavailable
from control_plane.redis.invalidation import CHANNEL
from control_plane.services import accounts, api_keys, audit, endpoint_tokens, endpoints, identity, principals
from control_plane.services.context import Caller, Context
from control_plane.services.passwords import Passwords
from tests.api.conftest import Clock

PASSWORD = "correct horse battery"


async def _tenant(ctx: Context, email: str = "ann@example.com") -> identity.SignedUp:
    return await identity.signup(ctx, email, PASSWORD, "Acme")


async def test_signup_gives_a_key_that_resolves_to_the_tenant(ctx: Context) -> None:
    made = await _tenant(ctx)
    caller = await principals.resolve(ctx, made.api_key.key, request_id="r1")
    assert (caller.tenant_id, caller.actor) == (made.tenant_id, f"api_key:{made.api_key.id}")
    with pytest.raises(Conflict, match="email exists"):
        await identity.signup(ctx, "ANN@example.com", PASSWORD, "Other")
    with pytest.raises(InvalidInput) as short:
        await identity.signup(ctx, "bob@example.com", "short", "B")
    assert short.value.code == "weak_password"


async def test_login_jwt_and_its_expiry(ctx: Context, clock: Clock) -> None:
    made = await _tenant(ctx)
    issued = await identity.login(ctx, identity.Attempt("ann@example.com", "192.0.2.1"), PASSWORD)
    caller = await principals.resolve(ctx, issued.access_token)
    assert caller.tenant_id == made.tenant_id and caller.actor == f"user:{made.user_id}"
    for email, password in (("ann@example.com", "wrong password!"), ("nobody@example.com", PASSWORD)):
        with pytest.raises(Unauthorized) as failed:
            await identity.login(ctx, identity.Attempt(email, "192.0.2.1"), password)
        assert failed.value.code == "invalid_credentials"
    with pytest.raises(Forbidden):
        await identity.login(ctx, identity.Attempt("ann@example.com", "192.0.2.1"), PASSWORD,
                             tenant_id=uuid.uuid4())
    clock.now = clock.now.replace(year=clock.now.year + 1)
    with pytest.raises(Unauthorized):
        await principals.resolve(ctx, issued.access_token)


async def test_idempotent_create_and_validation(ctx: Context, catalog: asyncpg.Connection) -> None:
    made = await _tenant(ctx)
    caller = Caller(made.tenant_id, "operator:alice")
    await catalog.execute("UPDATE tenants SET plan = 'pro' WHERE id = $1", made.tenant_id)
    first = await endpoints.create(ctx, caller, "shop", "pro", idempotency_key="k1")
    again = await endpoints.create(ctx, caller, "shop", None, idempotency_key="k1")
    assert again.id == first.id and first.status == "provisioning"
    with pytest.raises(Conflict):
        await endpoints.create(ctx, caller, "shop", "free", idempotency_key="k1")
    for name, plan, code in (("Bad Name", None, "invalid_name"), ("ok", "gold", "unknown_plan")):
        with pytest.raises(InvalidInput) as bad:
            await endpoints.create(ctx, caller, name, plan)
        assert bad.value.code == code
    jobs = await catalog.fetch("SELECT kind, payload->>'endpoint_id' AS endpoint FROM jobs")
    assert [(j["kind"], j["endpoint"]) for j in jobs] == [("provision", str(first.id))]
    rows = await audit.page(ctx, caller)
    assert [(r.actor, r.action) for r in rows][0] == ("operator:alice", "endpoint.create")


async def test_rotate_revokes_the_old_token_and_publishes(ctx: Context, redis_client: aioredis.Redis) -> None:
    made = await _tenant(ctx)
    caller = Caller(made.tenant_id, "operator:alice")
    endpoint = await endpoints.create(ctx, caller, "shop")
    old = await endpoint_tokens.issue(ctx, caller, endpoint.id, "agent", ["mcp"], 3600)
    async with redis_client.pubsub() as sub:
        await sub.subscribe(CHANNEL)
        await sub.get_message(timeout=1)
        new = await endpoint_tokens.rotate(ctx, caller, endpoint.id, old.id)
        message = await sub.get_message(timeout=1)
    assert message is not None and message["data"].startswith(b"token:")
    listed = {t.id: t for t in await endpoint_tokens.list_tokens(ctx, caller, endpoint.id)}
    assert listed[old.id].revoked_at is not None and listed[new.id].revoked_at is None
    assert new.expires_at is not None and new.token != old.token
    other = await _tenant(ctx, "bob@example.com")
    with pytest.raises(NotFound):
        await endpoint_tokens.list_tokens(ctx, Caller(other.tenant_id, "operator:x"), endpoint.id)


async def test_account_deletion_needs_the_owner_and_stops_everything(ctx: Context) -> None:
    made = await _tenant(ctx)
    key_caller = await principals.resolve(ctx, made.api_key.key)
    with pytest.raises(Forbidden) as stale:
        await accounts.authorize_deletion(ctx, key_caller)
    assert stale.value.code == "reauthentication_required"
    with pytest.raises(Unauthorized):
        await accounts.authorize_deletion(ctx, key_caller, password="not the password")
    await accounts.authorize_deletion(ctx, key_caller, password=PASSWORD)
    spare = await api_keys.create(ctx, key_caller, "ci")
    job_id = await accounts.delete_account(ctx, key_caller)
    assert job_id > 0
    for key in (made.api_key.key, spare.key):
        with pytest.raises(Unauthorized):
            await principals.resolve(ctx, key)
    with pytest.raises(Forbidden):
        await identity.login(ctx, identity.Attempt("ann@example.com", "192.0.2.1"), PASSWORD)


async def test_catalog_down_is_unavailable_not_a_leak(ctx: Context, catalog_url: str) -> None:
    closed = await create_pool(catalog_url, "berth_api", min_size=0, max_size=1)
    await closed.close()
    down = dataclasses.replace(ctx, pool=closed)
    with pytest.raises(Unavailable) as failed:
        await endpoints.list_endpoints(down, Caller(uuid.uuid4(), "operator:alice"))
    assert failed.value.status == 503 and "postgres" not in failed.value.message


class CountingHasher(PasswordHasher):
    """Counts verifications: an unknown email must cost one, like a wrong password."""

    verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified += 1
        return super().verify(hash, password)


async def test_unknown_email_spends_a_verification_like_a_wrong_password(ctx: Context) -> None:
    hasher = CountingHasher(time_cost=1, memory_cost=8192, parallelism=1)
    counted = dataclasses.replace(ctx, passwords=Passwords(hasher))
    await identity.signup(counted, "ann@example.com", PASSWORD, "Acme")
    for email, password in (("ann@example.com", "wrong password!"), ("nobody@example.com", PASSWORD)):
        before = hasher.verified
        with pytest.raises(Unauthorized):
            await identity.login(counted, identity.Attempt(email, "192.0.2.1"), password)
        assert hasher.verified == before + 1
