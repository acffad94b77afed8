"""A load stopped at any point leaves nothing; a retry after the load committed does not load twice."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import pytest

from control_plane.errors import BadImport
from control_plane.imports import pipeline
from control_plane.imports.limits import PlanLimits
from control_plane.imports.sources import open_sources
from control_plane.imports.store import Format, Mode
from tests.imports.conftest import Berth


class WorkerDied(Exception):
    pass


def big_csv(path: Path) -> Path:
    path.write_text("id,name\n" + "".join(f"{i},n{i}\n" for i in range(12_000)))
    return path


async def nothing(bytes_done: int, rows_done: int) -> None:
    return None


async def load(berth: Berth, path: Path, mode: Mode, import_id: str,
               report: pipeline.Report = nothing) -> pipeline.Loaded:
    limits = PlanLimits.of("free")
    planned = await pipeline.plan(open_sources(Format.CSV, path, "gear", {}), mode, limits)
    conn = await asyncpg.connect(berth.owner_dsn)
    try:
        return await pipeline.load(conn, planned, import_id, report, limits=limits)
    finally:
        await conn.close()


async def test_a_load_stopped_after_some_batches_leaves_nothing(berth: Berth, tmp_path: Path) -> None:
    path = big_csv(tmp_path / "gear.csv")

    async def die_after_first_batch(bytes_done: int, rows_done: int) -> None:
        raise WorkerDied(rows_done)

    with pytest.raises(WorkerDied):
        await load(berth, path, Mode.CREATE, str(uuid.uuid4()), die_after_first_batch)
    assert await berth.tables() == []
    loaded = await load(berth, path, Mode.CREATE, str(uuid.uuid4()))
    assert loaded.rows == 12_000


async def test_a_retry_of_a_committed_load_only_reports_it(berth: Berth, tmp_path: Path) -> None:
    path = big_csv(tmp_path / "gear.csv")
    import_id = str(uuid.uuid4())
    first = await load(berth, path, Mode.CREATE, import_id)
    again = await load(berth, path, Mode.CREATE, import_id)
    assert first.rows == again.rows == 12_000
    assert again.tables[0]["columns"] == first.tables[0]["columns"]
    appended_id = str(uuid.uuid4())
    await load(berth, path, Mode.APPEND, appended_id)
    await load(berth, path, Mode.APPEND, appended_id)
    assert (await berth.sql("SELECT count(*) FROM gear"))[0][0] == 24_000
    with pytest.raises(BadImport) as caught:
        await load(berth, path, Mode.CREATE, str(uuid.uuid4()))
    assert caught.value.code == "table_exists"
