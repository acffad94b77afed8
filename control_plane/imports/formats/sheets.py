"""XLSX: one table per sheet (openpyxl in read-only mode, row by row); the first non-empty row is the header.

Cells keep their types through inference: numbers, booleans, dates and
times are written as text Postgres and the inference read alike (ISO dates,
``true``/``false``), so a column of Excel dates becomes ``date`` or
``timestamp``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, BinaryIO
from zipfile import BadZipFile

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from control_plane.errors import (
    EmptyFile,
    InvalidXlsx,
    NoRows,
    NoSheets,
    RaggedRow,
    TooManyColumns,
)
from control_plane.imports.formats.base import MAX_COLUMNS, Row, Shape, null_if_marker
from control_plane.imports.inference import Stats


def sheet_names(path: Path) -> list[str]:
    """The workbook's sheets, in order; an unreadable file or one without sheets is a ``BadImport``."""
    with path.open("rb") as handle:
        try:
            book = load_workbook(handle, read_only=True, data_only=True)
        except (InvalidFileException, BadZipFile, KeyError, OSError) as exc:
            raise InvalidXlsx(f"not a readable XLSX workbook: {exc}") from exc
        try:
            names = list(book.sheetnames)
        finally:
            book.close()
    if not names:
        raise NoSheets("the workbook has no sheets")
    return names


def cell(value: Any, markers: frozenset[str]) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    return null_if_marker(str(value), markers)


class SheetSource:
    """One sheet of a workbook."""

    def __init__(self, path: Path, sheet: str, *, null_markers: frozenset[str]) -> None:
        self.name: str | None = sheet
        self.path = path
        self.sheet = sheet
        self.markers = null_markers

    def bytes_read(self) -> int:
        return 0

    def scan(self) -> Shape:
        records = self._records()
        first = next(records, None)
        if first is None:
            raise EmptyFile(f"sheet {self.sheet!r} is empty")
        if len(first[1]) > MAX_COLUMNS:
            raise TooManyColumns(f"{len(first[1])} columns; Postgres allows at most {MAX_COLUMNS}",
                                 line=first[0])
        shape = Shape([c or "" for c in first[1]], [Stats() for _ in first[1]])
        for _, cells in records:
            for stat, value in zip(shape.stats, cells, strict=True):
                stat.observe(value)
            shape.rows += 1
        if shape.rows == 0:
            raise NoRows(f"sheet {self.sheet!r} has a header row but no data")
        return shape

    def rows(self, shape: Shape) -> Iterator[Row]:
        records = self._records()
        next(records, None)
        for _, cells in records:
            yield cells

    def _records(self) -> Iterator[tuple[int, Row]]:
        # A file object, not a path: openpyxl judges a path by its extension, and spool files have none.
        with self.path.open("rb") as handle:
            yield from self._sheet_records(handle)

    def _sheet_records(self, handle: BinaryIO) -> Iterator[tuple[int, Row]]:
        book = load_workbook(handle, read_only=True, data_only=True)
        try:
            width: int | None = None
            for number, values in enumerate(book[self.sheet].iter_rows(values_only=True), start=1):
                cells = [cell(v, self.markers) for v in values]
                if not any(c is not None for c in cells):
                    continue
                width = width if width is not None else _used_width(cells)
                yield number, _fit(cells, width, number)
        finally:
            book.close()


def _used_width(cells: Row) -> int:
    return max(i for i, c in enumerate(cells, start=1) if c is not None)


def _fit(cells: Row, width: int, line: int) -> Row:
    if len(cells) > width and any(c is not None for c in cells[width:]):
        raise RaggedRow(f"a value right of the header's last column (column {width + 1})", line=line)
    return (cells + [None] * width)[:width]
