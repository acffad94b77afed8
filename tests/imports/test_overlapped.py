"""A CSV copied while its scan ends: kept only when the scan settles on the table foreseen, else undone.

``DelimitedSource.foresee`` scans the number columns in full and takes the
others from a sample of the file's head and tail; ``pipeline.run`` copies
the file on that shape while the rest of the scan runs. These files put what
the sample cannot see in the middle of the file.
"""

from __future__ import annotations

import random
import uuid
from pathlib import Path

import asyncpg
import pytest

from control_plane.errors import BadImport, InvalidEncoding, RaggedRow
from control_plane.imports import pipeline
from control_plane.imports.formats.base import NULL_MARKERS
from control_plane.imports.formats.delimited import FORESIGHT_BYTES, DelimitedSource
from control_plane.imports.inference import resolve
from control_plane.imports.limits import PlanLimits
from control_plane.imports.sources import open_sources
from control_plane.imports.store import Format, Mode
from tests.imports.conftest import Berth
from tests.imports.test_fast_scan import _disagreements, _write

ROWS = 60_000  # about 2 MB: far more than the head and tail the sample reads


def _source(path: Path) -> DelimitedSource:
    return DelimitedSource(path, name=None, delimiter=None, encoding=None, header=None,
                           null_markers=NULL_MARKERS)


def _file(path: Path, middle: str, column: str = "day") -> Path:
    """id, amount (two decimals), day and stamp, with ``middle`` as ``column``'s value in the middle row."""
    lines = ["id,amount,day,stamp"]
    for n in range(ROWS):
        cells = {"id": str(n), "amount": f"{n % 997}.{n % 100:02d}", "day": f"2024-01-{n % 28 + 1:02d}",
                 "stamp": f"2024-01-01 10:{n % 60:02d}:00"}
        if n == ROWS // 2:
            cells[column] = middle
        lines.append(",".join(cells.values()))
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size > 3 * FORESIGHT_BYTES
    return path


async def nothing(bytes_done: int, rows_done: int) -> None:
    return None


async def _overlapped(berth: Berth, path: Path, mode: Mode = Mode.CREATE) -> object:
    conn = await asyncpg.connect(berth.owner_dsn)
    try:
        (table, source), = open_sources(Format.CSV, path, "t", {})
        return await pipeline._overlapped(conn, table, source, mode, str(uuid.uuid4()), nothing,
                                          PlanLimits.of("free"))
    finally:
        await conn.close()


async def _run(berth: Berth, path: Path, mode: Mode = Mode.CREATE, **options: str) -> pipeline.Loaded:
    conn = await asyncpg.connect(berth.owner_dsn)
    try:
        return await pipeline.run(conn, open_sources(Format.CSV, path, "t", options), mode, str(uuid.uuid4()),
                                  nothing, limits=PlanLimits.of("free"))
    finally:
        await conn.close()


@pytest.mark.parametrize("seed", range(6))
def test_a_regular_file_is_foreseen_as_its_scan_settles_it(tmp_path: Path, seed: int) -> None:
    """Every family's usual spellings, in random order: the sample and the number columns' measure suffice."""
    path = tmp_path / "f.csv"
    _write(path, random.Random(seed), rows=50_000, odd=0.0)
    sight = _source(path).foresee()
    assert sight is not None
    scanned = _source(path).scan()
    assert [resolve(s) for s in sight.shape.stats] == [resolve(s) for s in scanned.stats]
    assert (sight.shape.header, sight.shape.headers) == (scanned.header, scanned.headers)
    assert _disagreements(sight.rest(), scanned) == []


@pytest.mark.parametrize("middle", ["-40000", "123456789012", "7.125", "-0.5", "1e-7", "NaN", "", "NA",
                                    "99999999999999999999"])
def test_a_number_only_the_middle_shows_is_foreseen(tmp_path: Path, middle: str) -> None:
    path = _file(tmp_path / "f.csv", middle, column="id")
    sight = _source(path).foresee()
    assert sight is not None
    assert [resolve(s) for s in sight.shape.stats] == [resolve(s) for s in _source(path).scan().stats]


def test_a_quoted_or_non_utf8_file_is_not_foreseen(tmp_path: Path) -> None:
    quoted, latin = tmp_path / "q.csv", tmp_path / "l.csv"
    quoted.write_text('a,b\n1,"x"\n')
    latin.write_bytes("a,b\n1,caf\u00e9\n".encode("cp1252"))
    assert _source(quoted).foresee() is None
    assert _source(latin).foresee() is None


async def test_a_scale_only_the_middle_shows_is_copied_while_scanning(berth: Berth, tmp_path: Path) -> None:
    path = _file(tmp_path / "f.csv", "1.23456", column="amount")
    loaded = await _overlapped(berth, path)
    assert isinstance(loaded, pipeline.Loaded), "the copy on the foreseen shape was not kept"
    assert loaded.rows == ROWS
    assert (await berth.columns("t"))["amount"] == "numeric(8,5)"
    rows = await berth.sql("SELECT amount::text FROM t WHERE id = $1", ROWS // 2)
    assert rows[0][0] == "1.23456"


@pytest.mark.parametrize(("column", "middle"), [
    ("day", "2024-02-30"),               # COPY into date refuses it
    ("stamp", "2024-01-01 10:00:00+05"),  # COPY into timestamp takes it, dropping the zone
])
async def test_a_type_the_middle_overturns_is_copied_again_as_the_scan_says(
        berth: Berth, tmp_path: Path, column: str, middle: str) -> None:
    path = _file(tmp_path / "f.csv", middle, column=column)
    discarded = await _overlapped(berth, path)
    assert isinstance(discarded, list), "a copy on a shape the scan did not settle on was kept"
    assert await berth.tables() == []
    loaded = await _run(berth, path)
    assert loaded.rows == ROWS
    assert (await berth.columns("t"))[column] == "text"
    rows = await berth.sql(f"SELECT {column} FROM t WHERE id = $1", ROWS // 2)  # noqa: S608 - a test's own names
    assert rows[0][0] == middle


@pytest.mark.parametrize(("middle", "error"), [
    ("2024-01-01,extra", RaggedRow),          # the number columns' full read finds it before any copy
    ("2024-01-\udcff1", InvalidEncoding),     # only the rest of the scan reads that column: mid-copy
])
async def test_a_bad_row_in_the_middle_fails_and_leaves_the_table_as_it_was(
        berth: Berth, tmp_path: Path, middle: str, error: type[BadImport]) -> None:
    first = tmp_path / "first.csv"
    first.write_text("id,amount\n1,2.50\n")
    await _run(berth, first)
    path = _file(tmp_path / "f.csv", "x")
    bad = middle.encode("utf-8", "surrogateescape")
    path.write_bytes(path.read_bytes().replace(b",x,", b"," + bad + b","))
    with pytest.raises(error):
        await _run(berth, path, Mode.REPLACE, encoding="utf-8")
    assert await berth.tables() == ["t"]
    assert [tuple(r) for r in await berth.sql("SELECT id, amount::text FROM t")] == [(1, "2.50")]
