"""`berth keys rotate`: every sealed connection string ends under the newest key."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import uuid

import asyncpg
from typer.testing import CliRunner

from cli.main import app
from control_plane.sealing import Sealed, Sealer

ENDPOINT = """
INSERT INTO endpoints (id, tenant_id, slug, name, plan, provider, status, seal_key_id,
                       sealed_owner_dsn, sealed_reader_dsn)
VALUES ($1, $2, $3, 'ep', 'free', 'local', 'ready', $4, $5, $6)
"""


async def _seed(catalog_url: str, sealer: Sealer, count: int) -> list[uuid.UUID]:
    catalog = await asyncpg.connect(catalog_url)
    tenant = uuid.uuid4()
    await catalog.execute("INSERT INTO tenants (id, name) VALUES ($1, 'acme')", tenant)
    ids = [uuid.uuid4() for _ in range(count)]
    for endpoint in ids:
        owner = sealer.seal_dsn(f"postgresql://o@h/{endpoint}", endpoint, "owner")
        reader = sealer.seal_dsn(f"postgresql://r@h/{endpoint}", endpoint, "reader")
        await catalog.execute(ENDPOINT, endpoint, tenant, endpoint.hex, owner.key_id, owner.blob, reader.blob)
    await catalog.close()
    return ids


async def _rows(catalog_url: str) -> list[asyncpg.Record]:
    catalog = await asyncpg.connect(catalog_url)
    try:
        rows: list[asyncpg.Record] = await catalog.fetch("SELECT * FROM endpoints")
        return rows
    finally:
        await catalog.close()


def test_rotate_reseals_under_the_newest_key(
    catalog_url: str, cli_env: dict[str, str], runner: CliRunner
) -> None:
    old = Sealer.from_setting(cli_env["BERTH_SEAL_KEYS"])
    ids = asyncio.run(_seed(catalog_url, old, 3))
    keys = "k2:" + base64.b64encode(secrets.token_bytes(32)).decode() + "," + cli_env["BERTH_SEAL_KEYS"]
    env = {**cli_env, "BERTH_SEAL_KEYS": keys}

    dry = runner.invoke(app, ["keys", "rotate", "--dry-run", "--json"], env=env)
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout) == {"key_id": "k2", "would_reseal": 3}

    done = runner.invoke(app, ["keys", "rotate", "--json"], env=env)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == {"key_id": "k2", "resealed": 3, "remaining": 0}
    only_new = Sealer.from_setting(keys.split(",")[0])
    rows = asyncio.run(_rows(catalog_url))
    assert sorted(r["id"] for r in rows) == sorted(ids)
    for row in rows:
        endpoint = row["id"]
        assert row["seal_key_id"] == "k2"
        sealed = Sealed("k2", row["sealed_reader_dsn"])
        assert only_new.open_dsn(sealed, endpoint, "reader") == f"postgresql://r@h/{endpoint}"


def test_unreachable_catalog_is_one_line_and_exit_1(cli_env: dict[str, str], runner: CliRunner) -> None:
    env = {**cli_env, "BERTH_DATABASE_URL": "postgresql://berth:hunter2@127.0.0.1:1/catalog"}
    result = runner.invoke(app, ["keys", "rotate"], env=env)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("berth: BERTH_DATABASE_URL")
    assert "hunter2" not in result.output


def test_unknown_option_is_a_usage_error(cli_env: dict[str, str], runner: CliRunner) -> None:
    assert runner.invoke(app, ["keys", "rotate", "--bogus"], env=cli_env).exit_code == 2
