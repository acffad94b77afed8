"""`berth endpoints import` spools the file through the service layer; the running worker loads it."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import asyncpg
from typer.testing import CliRunner

from cli.main import app
from control_plane.settings import Settings
from tests.conftest import berth_environment
from tests.imports.conftest import Berth, until

TENANT = "SELECT tenant_id FROM endpoints WHERE id = $1"
STATUS = "SELECT status FROM endpoints WHERE id = $1"


def env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    return {**berth_environment(settings), "BERTH_DATA_DIR": str(tmp_path / "cli"), "COLUMNS": "200"}


async def test_import_a_file_and_print_its_columns(berth: Berth, settings: Settings, tmp_path: Path,
                                                   data_files: dict[str, Path]) -> None:
    args = ["endpoints", "import", berth.endpoint_id, str(data_files["penguins"]), "--table", "birds"]
    result = await asyncio.to_thread(CliRunner().invoke, app, args, env=env(settings, tmp_path))
    assert result.exit_code == 0, result.output
    assert "bill_length_mm" in result.output and "numeric(3,1)" in result.output
    assert "344" in result.output
    assert (await berth.sql("SELECT count(*) FROM birds"))[0][0] == 344


async def test_a_failed_import_exits_1_with_the_line(berth: Berth, settings: Settings,
                                                     tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3\n")
    args = ["endpoints", "import", berth.endpoint_id, str(bad), "--json"]
    result = await asyncio.to_thread(CliRunner().invoke, app, args, env=env(settings, tmp_path))
    assert result.exit_code == 1
    assert "line 3: 1 fields where the first row has 2" in result.output
    assert await berth.tables() == []


async def test_json_output(berth: Berth, settings: Settings, tmp_path: Path) -> None:
    good = tmp_path / "crew.ndjson"
    good.write_text('{"name": "ada", "tags": ["x"]}\n{"name": "bo", "age": 41}\n')
    args = ["endpoints", "import", berth.endpoint_id, str(good), "--json"]
    result = await asyncio.to_thread(CliRunner().invoke, app, args, env=env(settings, tmp_path))
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output.strip().splitlines()[-1])
    assert shown["rows"] == 2 and shown["tables"][0]["name"] == "crew"
    assert [c["type"] for c in shown["tables"][0]["columns"]] == ["text", "jsonb", "smallint"]


async def test_create_an_endpoint_from_a_file(berth: Berth, settings: Settings, tmp_path: Path,
                                              catalog: asyncpg.Connection,
                                              data_files: dict[str, Path]) -> None:
    tenant = await catalog.fetchval(TENANT, uuid.UUID(berth.endpoint_id))
    args = ["endpoints", "create", "birds", "--tenant", str(tenant), "--from-file",
            str(data_files["penguins"]), "--table", "penguins", "--json"]
    result = await asyncio.to_thread(CliRunner().invoke, app, args, env=env(settings, tmp_path))
    assert result.exit_code == 0, result.output
    made = json.loads(result.output)
    assert made["name"] == "birds" and made["import_state"] == "queued"
    url = f"/v1/endpoints/{made['id']}/imports/{made['import_id']}"
    try:
        async def state() -> str:
            return str((await berth.client.get(url, headers=berth.headers)).json()["state"])

        await until(state, ("done", "failed"), "the endpoint's first import")
        done = (await berth.client.get(url, headers=berth.headers)).json()
        assert done["state"] == "done" and done["rows_done"] == 344, done
        assert done["tables"][0]["name"] == "penguins"
    finally:
        await berth.client.delete(f"/v1/endpoints/{made['id']}", headers=berth.headers)
        await until(lambda: catalog.fetchval(STATUS, uuid.UUID(made["id"])), ("deleted",), "deletion")
