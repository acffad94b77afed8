"""From a format and a spool file to the tables it holds, each with the name it will have."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from control_plane.imports.formats.base import NULL_MARKERS, TableSource
from control_plane.imports.formats.columnar import ParquetSource
from control_plane.imports.formats.delimited import DelimitedSource
from control_plane.imports.formats.records import RecordSource
from control_plane.imports.formats.sheets import SheetSource, sheet_names
from control_plane.imports.names import safe_name
from control_plane.imports.store import Format


def markers(options: dict[str, Any]) -> frozenset[str]:
    given = options.get("null_markers")
    return NULL_MARKERS if given is None else frozenset(str(m) for m in given)


def open_sources(fmt: Format, path: Path, table: str,
                 options: dict[str, Any]) -> list[tuple[str, TableSource]]:
    """The tables of one file, in the order they load."""
    nulls = markers(options)
    if fmt in (Format.CSV, Format.TSV):
        delimiter = "\t" if fmt is Format.TSV else options.get("delimiter")
        source: TableSource = DelimitedSource(path, name=None, delimiter=delimiter,
                                              encoding=options.get("encoding"), header=options.get("header"),
                                              null_markers=nulls)
        return [(table, source)]
    if fmt in (Format.JSON, Format.NDJSON):
        return [(table, RecordSource(path, name=None, lines=fmt is Format.NDJSON, null_markers=nulls))]
    if fmt is Format.XLSX:
        sheets = sheet_names(path)
        if len(sheets) == 1:
            return [(table, SheetSource(path, sheets[0], null_markers=nulls))]
        return [(safe_name(f"{table}_{sheet}", table), SheetSource(path, sheet, null_markers=nulls))
                for sheet in sheets]
    return [(table, ParquetSource(path, name=None))]
