"""`berth endpoints set`: settings by id or slug through the service layer, only the flags given."""

from __future__ import annotations

import asyncio
import json

from typer.testing import CliRunner

from cli.commands import endpoints
from tests.cli.test_endpoints import new_tenant, ready_endpoint, sql


def test_set_changes_only_the_flags_given_and_is_audited(
    catalog_url: str, cli_env: dict[str, str], runner: CliRunner
) -> None:
    endpoint = ready_endpoint(runner, cli_env, new_tenant(catalog_url))
    done = runner.invoke(endpoints.app, ["set", endpoint["slug"], "--allow-writes", "--tool-cap", "7",
                                         "--json"], env=cli_env)
    assert done.exit_code == 0, done.output
    shown = json.loads(done.stdout)
    assert (shown["allow_writes"], shown["public_docs"], shown["tool_cap"]) == (True, False, 7)
    again = runner.invoke(endpoints.app, ["set", endpoint["id"], "--no-allow-writes", "--public-docs",
                                          "--json"], env=cli_env)
    shown = json.loads(again.stdout)
    assert (shown["allow_writes"], shown["public_docs"], shown["tool_cap"]) == (False, True, 7)
    rows = asyncio.run(sql(catalog_url, "SELECT actor FROM audit_log WHERE action = 'endpoint.settings'"))
    assert len(rows) == 2 and all(r["actor"].startswith("operator:") for r in rows)


def test_a_tool_cap_out_of_range_is_a_usage_error(
    catalog_url: str, cli_env: dict[str, str], runner: CliRunner
) -> None:
    endpoint = ready_endpoint(runner, cli_env, new_tenant(catalog_url))
    too_many = runner.invoke(endpoints.app, ["set", endpoint["id"], "--tool-cap", "201"], env=cli_env)
    assert too_many.exit_code == 2
    unknown = runner.invoke(endpoints.app, ["set", "no-such-slug", "--public-docs"], env=cli_env)
    assert unknown.exit_code == 1
