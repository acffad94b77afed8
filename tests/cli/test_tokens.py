"""`berth tokens`: issue (printed once, stored as a hash), list, rotate, revoke, by endpoint id or slug."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from typer.testing import CliRunner

from cli.commands import tokens
from control_plane.tokens import digest
from tests.cli.test_endpoints import new_tenant, ready_endpoint, sql

TOKEN = "SELECT token_hash, scopes, revoked_at FROM endpoint_tokens WHERE id = $1"


def _issue(runner: CliRunner, env: dict[str, str], endpoint: str, *extra: str) -> dict[str, Any]:
    issued = runner.invoke(tokens.app, ["issue", endpoint, "--json", *extra], env=env)
    assert issued.exit_code == 0, issued.output
    shown: dict[str, Any] = json.loads(issued.stdout)
    return shown


def test_issue_prints_the_token_once_and_the_catalog_keeps_only_its_hash(
    catalog_url: str, cli_env: dict[str, str], runner: CliRunner
) -> None:
    endpoint = ready_endpoint(runner, cli_env, new_tenant(catalog_url))
    issued = _issue(runner, cli_env, endpoint["slug"], "--write", "--name", "ci", "--expires-in", "3600")
    assert issued["token"].startswith("smcp_") and issued["scopes"] == ["mcp", "mcp:write"]
    [row] = asyncio.run(sql(catalog_url, TOKEN, uuid.UUID(issued["id"])))
    assert row["token_hash"] == digest(issued["token"], cli_env["BERTH_TOKEN_PEPPER"].encode())
    listed = runner.invoke(tokens.app, ["list", endpoint["id"], "--json"], env=cli_env)
    assert listed.exit_code == 0 and issued["token"] not in listed.output
    [info] = json.loads(listed.stdout)
    assert (info["id"], info["name"], info["revoked_at"]) == (issued["id"], "ci", None)


def test_rotate_revokes_the_old_token_and_keeps_its_scopes(
    catalog_url: str, cli_env: dict[str, str], runner: CliRunner
) -> None:
    endpoint = ready_endpoint(runner, cli_env, new_tenant(catalog_url))
    old = _issue(runner, cli_env, endpoint["slug"], "--write")
    rotated = runner.invoke(tokens.app, ["rotate", endpoint["slug"], old["id"], "--json"], env=cli_env)
    assert rotated.exit_code == 0, rotated.output
    new = json.loads(rotated.stdout)
    assert new["replaces"] == old["id"] and new["token"] != old["token"]
    assert asyncio.run(sql(catalog_url, TOKEN, uuid.UUID(old["id"])))[0]["revoked_at"] is not None
    [replacement] = asyncio.run(sql(catalog_url, TOKEN, uuid.UUID(new["id"])))
    assert list(replacement["scopes"]) == ["mcp", "mcp:write"]
    again = runner.invoke(tokens.app, ["rotate", endpoint["slug"], old["id"]], env=cli_env)
    assert again.exit_code == 1 and again.stderr == "berth: the token is already revoked\n"


def test_refused_revoke_changes_nothing_then_yes_revokes(
    catalog_url: str, cli_env: dict[str, str], runner: CliRunner
) -> None:
    endpoint = ready_endpoint(runner, cli_env, new_tenant(catalog_url))
    token = _issue(runner, cli_env, endpoint["id"])
    refused = runner.invoke(tokens.app, ["revoke", endpoint["id"], token["id"]], env=cli_env, input="n\n")
    assert refused.exit_code == 1
    assert asyncio.run(sql(catalog_url, TOKEN, uuid.UUID(token["id"])))[0]["revoked_at"] is None
    done = runner.invoke(tokens.app, ["revoke", endpoint["id"], token["id"], "--yes", "--json"], env=cli_env)
    assert done.exit_code == 0 and json.loads(done.stdout)["revoked"] is True
    assert asyncio.run(sql(catalog_url, TOKEN, uuid.UUID(token["id"])))[0]["revoked_at"] is not None
    [entry] = asyncio.run(sql(catalog_url, "SELECT actor FROM audit_log WHERE action = 'token.revoke'"))
    assert entry["actor"].startswith("operator:")


def test_failures_exit_1_and_usage_errors_exit_2(
    catalog_url: str, cli_env: dict[str, str], runner: CliRunner
) -> None:
    endpoint = ready_endpoint(runner, cli_env, new_tenant(catalog_url))["slug"]
    missing = runner.invoke(tokens.app, ["revoke", endpoint, str(uuid.uuid4()), "--yes"], env=cli_env)
    assert missing.exit_code == 1 and missing.stderr == "berth: no such token\n"
    assert runner.invoke(tokens.app, ["issue", endpoint, "--expires-in", "5"], env=cli_env).exit_code == 1
    assert runner.invoke(tokens.app, ["issue", "nowhere"], env=cli_env).exit_code == 1
    assert runner.invoke(tokens.app, ["revoke", endpoint, "not-a-uuid"], env=cli_env).exit_code == 2
