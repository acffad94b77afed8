"""Parquet: the file's own schema becomes the table's types, read in batches row group by row group."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.imports.conftest import Berth


def ships(path: Path, rows: int = 12_000) -> Path:
    table = pa.table({
        "id": pa.array(range(rows), pa.int64()),
        "small": pa.array([i % 100 for i in range(rows)], pa.int16()),
        "name": pa.array([f"ship {i}" if i % 7 else None for i in range(rows)], pa.string()),
        "active": pa.array([i % 2 == 0 for i in range(rows)]),
        "launched": pa.array([date(2000, 1, 1 + i % 28) for i in range(rows)], pa.date32()),
        "seen": pa.array([datetime(2024, 1, 1, tzinfo=UTC)] * rows, pa.timestamp("us", tz="UTC")),
        "price": pa.array([Decimal("12.50")] * rows, pa.decimal128(5, 2)),
        "ratio": pa.array([0.5] * rows, pa.float64()),
        "tags": pa.array([["a", "b"]] * rows, pa.list_(pa.string())),
        "Crew Size": pa.array([{"n": 3}] * rows, pa.struct([("n", pa.int32())])),
    })
    pq.write_table(table, path, row_group_size=5_000)
    return path


async def test_the_schema_maps_to_postgres_types(berth: Berth, tmp_path: Path) -> None:
    done = await berth.upload(ships(tmp_path / "ships.parquet"))
    assert done["state"] == "done", done["errors"]
    assert done["rows_done"] == 12_000
    assert await berth.columns("ships") == {
        "id": "bigint", "small": "smallint", "name": "text", "active": "boolean", "launched": "date",
        "seen": "timestamp with time zone", "price": "numeric(5,2)", "ratio": "double precision",
        "tags": "jsonb", "crew_size": "jsonb"}
    row = await berth.sql("SELECT name, price::text, tags, crew_size->>'n' FROM ships WHERE id = 1")
    assert tuple(row[0]) == ("ship 1", "12.50", '["a", "b"]', "3")
    assert (await berth.sql("SELECT count(*) FROM ships WHERE name IS NULL"))[0][0] == 1715


async def test_append_needs_the_same_types(berth: Berth, tmp_path: Path) -> None:
    await berth.upload(b"id,name\n1,a\n", table="ships", format="csv")
    wrong = await berth.upload(ships(tmp_path / "s.parquet", rows=3).read_bytes(), table="ships",
                               format="parquet", mode="append")
    assert wrong["state"] == "failed" and wrong["errors"][0]["code"] == "unknown_column"
    same = pa.table({"id": pa.array([2], pa.int16()), "name": pa.array(["b"])})
    pq.write_table(same, tmp_path / "ok.parquet")
    added = await berth.upload((tmp_path / "ok.parquet").read_bytes(), table="ships", format="parquet",
                               mode="append")
    assert added["state"] == "done", added["errors"]
    rows = await berth.sql("SELECT id, name FROM ships ORDER BY id")
    assert [tuple(r) for r in rows] == [(1, "a"), (2, "b")]


async def test_a_file_that_is_not_parquet_fails(berth: Berth) -> None:
    failed = await berth.upload(b"PAR1 nope", table="x", format="parquet")
    assert failed["state"] == "failed" and failed["errors"][0]["code"] == "invalid_parquet"


def read_apart(path: Path) -> list[str]:
    """Whether reading ``path``'s rows in a fresh process imports pandas, the first value's UTC offset and
    the second's."""
    probe = ("import sys; from pathlib import Path; from control_plane.imports.formats.columnar import "
             "ParquetSource; s = ParquetSource(Path(sys.argv[1]), name=None); rows = list(s.rows(s.scan())); "
             "print('pandas' in sys.modules, rows[0][1].utcoffset(), rows[1][1])")
    child = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True,  # noqa: S603
                           check=True)
    return child.stdout.split()


async def test_zoned_timestamps_load_as_their_instants_without_pandas(berth: Berth, tmp_path: Path) -> None:
    # pyarrow zones timestamps through pandas (40 MiB); Berth reads the UTC instant and zones it itself
    instants = [datetime(2024, 3, 31, 1, 30, tzinfo=UTC), None,
                datetime(1999, 12, 31, 23, 59, 59, 5, tzinfo=UTC)]
    path = tmp_path / "visits.parquet"
    paris = pa.array(instants, pa.timestamp("us", tz="Europe/Paris"))
    pq.write_table(pa.table({"id": [1, 2, 3], "at": paris}), path)
    assert read_apart(path) == ["False", "0:00:00", "None"]
    done = await berth.upload(path)
    assert done["state"] == "done", done["errors"]
    loaded = await berth.sql("SELECT at FROM visits ORDER BY id")
    assert [r[0] for r in loaded] == instants
