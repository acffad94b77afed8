"""Support access: asked by the operator, approved by the owner for at most a day, usable on the support
path only, every use in the tenant's log, ended at once by revocation or expiry."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx
import pytest
import typer
from typer.testing import CliRunner

from cli.commands import register
from control_plane.catalog.db import create_pool
from control_plane.errors import Unauthorized
from control_plane.services import identity, support
from control_plane.services.context import Caller, Context
from control_plane.settings import Settings
from tests.api.conftest import Clock, api_pool, clock, ctx, passwords  # noqa: F401 - fixtures
from tests.conftest import berth_environment
from tests.tenancy.conftest import join, login, new_tenant


def ask(settings: Settings, tenant_id: str) -> dict[str, str]:
    """``berth support request`` as the operator runs it; returns its JSON."""
    app = typer.Typer()
    register(app)
    env = berth_environment(settings)
    env["BERTH_DATA_DIR"] = str(settings.data_dir)
    done = CliRunner().invoke(app, ["support", "request", tenant_id, "--reason", "slow queries", "--json"],
                              env=env)
    assert done.exit_code == 0, done.output
    found: dict[str, str] = json.loads(done.stdout)
    return found


async def test_only_an_approved_credential_opens_only_the_support_path(
    api: httpx.AsyncClient, berth_settings: Settings,
) -> None:
    owner = await new_tenant(api, berth_settings, "o@example.com")
    await join(api, berth_settings, owner, "a@example.com", "admin")
    await api.post("/v1/endpoints", headers=owner.headers, json={"name": "shop"})
    asked = await asyncio.to_thread(ask, berth_settings, owner.id)
    credential = {"Authorization": f"Bearer {asked['credential']}"}
    assert (await api.get("/support/v1/endpoints", headers=credential)).status_code == 401
    [pending] = (await api.get("/v1/support-requests", headers=owner.headers)).json()
    assert (pending["id"], pending["reason"], pending["status"]) == (asked["id"], "slow queries", "requested")
    admin = await login(api, "a@example.com", owner.id)
    path = f"/v1/support-requests/{asked['id']}/approve"
    refused = await api.post(path, headers=admin, json={"hours": 2})
    assert refused.json()["error"]["code"] == "role_forbidden"
    assert (await api.post(path, headers=owner.headers, json={"hours": 25})).status_code == 422
    assert (await api.post(path, headers=owner.headers, json={"hours": 2})).json()["status"] == "approved"
    served = await api.get("/support/v1/endpoints", headers=credential)
    assert served.status_code == 200 and [e["name"] for e in served.json()] == ["shop"]
    assert (await api.get("/support/v1/audit", headers=credential)).status_code == 200
    assert (await api.get("/v1/endpoints", headers=credential)).status_code == 401
    assert (await api.post("/v1/endpoints", headers=credential, json={"name": "x"})).status_code == 401
    assert (await api.get("/support/v1/endpoints", headers=owner.headers)).status_code == 401
    assert (await api.get("/support/v1/endpoints", headers=admin)).status_code == 401
    log = (await api.get("/v1/audit", headers=owner.headers, params={"limit": 200})).json()["items"]
    uses = [e for e in log if e["action"] == "support.use"]
    assert len(uses) == 2 and {e["actor"] for e in uses} == {f"support:{asked['id']}"}
    assert {"support.request", "support.approve"} <= {e["action"] for e in log}
    ended = await api.delete(f"/v1/support-requests/{asked['id']}", headers=owner.headers)
    assert ended.json()["status"] == "revoked"
    assert (await api.get("/support/v1/endpoints", headers=credential)).status_code == 401


async def test_refused_requests_and_expired_approvals_open_nothing(
    ctx: Context, clock: Clock, settings: Settings,  # noqa: F811 - fixtures
) -> None:
    made = await identity.signup(ctx, "o@example.com", "correct horse battery", "acme")
    owner = Caller(made.tenant_id, f"user:{made.user_id}", None, made.user_id)
    worker_pool = await create_pool(settings.database_url_value, "berth_worker", min_size=0, max_size=1)
    try:
        refused = await support.request(worker_pool, made.tenant_id, "operator:o", "why", pepper=ctx.pepper,
                                        clock=clock)
        granted = await support.request(worker_pool, made.tenant_id, "operator:o", "why", pepper=ctx.pepper,
                                        clock=clock)
    finally:
        await worker_pool.close()
    assert (await support.decide(ctx, owner, refused.request.id, hours=None)).status == "refused"
    with pytest.raises(Unauthorized):
        await support.resolve(ctx, refused.credential, use="test")
    await support.decide(ctx, owner, granted.request.id, hours=1)
    assert (await support.resolve(ctx, granted.credential, use="test")).tenant_id == made.tenant_id
    clock.now += timedelta(hours=1)
    with pytest.raises(Unauthorized):
        await support.resolve(ctx, granted.credential, use="test")
