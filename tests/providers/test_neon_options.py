"""Neon as a real account meets it: BERTH_NEON_ORG_ID sent as org_id; libpq-only options kept from asyncpg."""

from __future__ import annotations

import json
import uuid

import asyncpg
import httpx
import pytest
import respx
from pydantic import SecretStr

from control_plane.dsn import for_asyncpg
from control_plane.providers.base import DatabaseSpec
from control_plane.providers.neon import NeonProvider, from_settings, project_name
from control_plane.settings import Settings
from data_plane.pools import connector
from tests.providers.conftest import API_KEY, BASE, FakeTime, RecordingReader

ENDPOINT = uuid.UUID("6a1c2b3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
PROJECT = "late-moon-654321"
NEON_URI = ("postgresql://berth_owner:pw@ep-late-moon-1.eu-central-1.aws.neon.tech/berth"
            "?sslmode=require&channel_binding=require")


@pytest.mark.parametrize(("given", "kept"), [
    (NEON_URI, "postgresql://berth_owner:pw@ep-late-moon-1.eu-central-1.aws.neon.tech/berth?sslmode=require"),
    ("postgresql://u:p@h/db?connect_timeout=5&keepalives=1&application_name=a", "postgresql://u:p@h/db"
     "?application_name=a"),
    ("postgresql://u:p@h/db?fallback_application_name=b&options=endpoint%3Dep-x",
     "postgresql://u:p@h/db?application_name=b&options=endpoint%3Dep-x"),
    ("postgresql:///db?host=/run/pg&channel_binding=prefer", "postgresql:///db?host=/run/pg"),
    ("postgresql://u:p@h/db", "postgresql://u:p@h/db"),
])
def test_only_what_asyncpg_understands_is_kept(given: str, kept: str) -> None:
    assert for_asyncpg(given) == kept
    assert for_asyncpg(kept) == kept


async def test_org_id_from_settings_goes_out_with_every_project_lookup(
        http: httpx.AsyncClient, neon: respx.MockRouter) -> None:
    settings = Settings(dev=True, provider="neon", neon_api_key=SecretStr(API_KEY), neon_base_url=BASE,
                        neon_org_id="org-late-moon-42")
    listed = neon.get("/projects").mock(return_value=httpx.Response(200, json={"projects": []}))
    assert await from_settings(settings, http=http).list_databases() == []
    assert listed.calls.last.request.url.params["org_id"] == "org-late-moon-42"
    with pytest.raises(ValueError, match="neon_org_id"):
        Settings(dev=True, neon_org_id="org id; drop")


async def test_a_neon_uri_is_cut_for_asyncpg_before_the_sql_step_and_sealing(
    http: httpx.AsyncClient, neon: respx.MockRouter, fake_time: FakeTime, reader: RecordingReader,
) -> None:
    provider = NeonProvider(http, api_key=API_KEY, region="aws-us-east-2", base_url=BASE, org_id="org-1",
                            sleep=fake_time.sleep, clock=fake_time.clock, reader_setup=reader)
    neon.get("/projects").mock(return_value=httpx.Response(200, json={"projects": []}))
    post = neon.post("/projects").mock(return_value=httpx.Response(201, json={
        "project": {"id": PROJECT, "name": project_name(ENDPOINT)},
        "connection_uris": [{"connection_uri": NEON_URI}], "operations": []}))

    made = await provider.create_database(DatabaseSpec(ENDPOINT))

    assert json.loads(post.calls.last.request.content)["project"]["org_id"] == "org-1"
    [(owner_dsn, _role, _password)] = reader.calls
    for dsn in (owner_dsn, made.owner_dsn, made.reader_dsn):
        assert "channel_binding" not in dsn and "sslmode=require" in dsn


async def test_the_gateway_opens_a_pool_on_a_neon_style_string(server_url: str) -> None:
    """Against a real server: channel_binding would be refused as a setting; the pool opens anyway."""
    dsn = f"{server_url}{'&' if '?' in server_url else '?'}channel_binding=disable&connect_timeout=5"
    with pytest.raises(asyncpg.PostgresError, match="channel_binding"):
        await asyncpg.connect(dsn)
    pool = await connector(1000, 60.0)(dsn, 1, True)
    try:
        assert await pool.fetchval("SELECT 1") == 1
    finally:
        await pool.close()
