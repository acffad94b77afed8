"""`berth oauth grants` lists a tenant's connected apps; `berth oauth revoke` revokes one and its tokens."""

from __future__ import annotations

import asyncio
import json
import uuid

from typer.testing import CliRunner

from cli.commands import oauth
from tests.cli.test_endpoints import new_tenant, ready_endpoint, sql

CLIENT = """
INSERT INTO oauth_clients (id, kind, client_name, redirect_uris) VALUES ($1, 'registered', 'Desk app',
  ARRAY['http://127.0.0.1/cb'])
"""
GRANT = """
INSERT INTO oauth_grants (id, tenant_id, endpoint_id, client_id, resource, scopes)
VALUES ($1, $2, $3, $4, 'https://berth.test/e/x/mcp', ARRAY['mcp'])
"""
TOKEN = """
INSERT INTO endpoint_tokens (id, tenant_id, endpoint_id, name, token_hash, prefix, scopes, oauth_grant_id)
VALUES ($1, $2, $3, 'oauth: Desk app', $4, 'smcp_x', ARRAY['mcp'], $5)
"""


def test_grants_are_listed_and_revoked_with_their_tokens(
    catalog_url: str, cli_env: dict[str, str], runner: CliRunner
) -> None:
    tenant = new_tenant(catalog_url)
    endpoint = ready_endpoint(runner, cli_env, tenant)
    client_id, grant_id, token_id = f"bthc_{uuid.uuid4().hex}", uuid.uuid4(), uuid.uuid4()
    asyncio.run(sql(catalog_url, CLIENT, client_id))
    asyncio.run(sql(catalog_url, GRANT, grant_id, uuid.UUID(tenant), uuid.UUID(endpoint["id"]), client_id))
    asyncio.run(sql(catalog_url, TOKEN, token_id, uuid.UUID(tenant), uuid.UUID(endpoint["id"]),
                    uuid.uuid4().bytes * 2, grant_id))
    listed = runner.invoke(oauth.app, ["grants", tenant, "--json"], env=cli_env)
    assert listed.exit_code == 0, listed.output
    [shown] = json.loads(listed.stdout)
    assert (shown["id"], shown["client_name"], shown["slug"]) == (str(grant_id), "Desk app", endpoint["slug"])
    refused = runner.invoke(oauth.app, ["revoke", tenant, str(grant_id)], env=cli_env, input="n\n")
    assert refused.exit_code == 1
    revoked = runner.invoke(oauth.app, ["revoke", tenant, str(grant_id), "--yes", "--json"], env=cli_env)
    assert revoked.exit_code == 0, revoked.output
    [row] = asyncio.run(sql(catalog_url, "SELECT revoked_at FROM endpoint_tokens WHERE id = $1", token_id))
    assert row["revoked_at"] is not None
    assert json.loads(runner.invoke(oauth.app, ["grants", tenant, "--json"], env=cli_env).stdout) == []
