"""XLSX: one table per sheet, the header on the first non-empty row, cell types kept through inference."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

from tests.imports.conftest import Berth


def workbook(path: Path) -> Path:
    book = Workbook()
    crew = book.active
    assert crew is not None
    crew.title = "Crew"
    crew.append([])
    crew.append(["Name", "Joined", "Active", "Rating", "Shifts", "Last seen"])
    crew.append(["ada", date(2024, 1, 2), True, 4.5, 12, datetime(2024, 5, 1, 9, 30)])
    crew.append(["bo", date(2024, 2, 3), False, 3.25, None, datetime(2024, 5, 2, 18, 0)])
    ships = book.create_sheet("Ships 2024")
    ships.append(["hull", "length"])
    ships.append(["HMS-1", 120])
    book.save(path)
    return path


async def test_each_sheet_becomes_a_table(berth: Berth, tmp_path: Path) -> None:
    done = await berth.upload(workbook(tmp_path / "fleet.xlsx"))
    assert done["state"] == "done", done["errors"]
    assert sorted(t["name"] for t in done["tables"]) == ["fleet_crew", "fleet_ships_2024"]
    assert await berth.columns("fleet_crew") == {
        "name": "text", "joined": "date", "active": "boolean", "rating": "numeric(3,2)",
        "shifts": "smallint", "last_seen": "timestamp without time zone"}
    rows = await berth.sql("SELECT name, joined::text, active, shifts FROM fleet_crew ORDER BY name")
    assert [tuple(r) for r in rows] == [("ada", "2024-01-02", True, 12), ("bo", "2024-02-03", False, None)]
    assert await berth.columns("fleet_ships_2024") == {"hull": "text", "length": "smallint"}


async def test_a_file_that_is_not_a_workbook_fails(berth: Berth) -> None:
    failed = await berth.upload(b"not a zip", table="x", format="xlsx")
    assert failed["state"] == "failed" and failed["errors"][0]["code"] == "invalid_xlsx"
    assert await berth.tables() == []
