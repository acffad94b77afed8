"""From a format and a spool file to the tables it holds, each with the name it will have.

Each format's reader is imported when a file of that format comes: openpyxl
and pyarrow's Parquet reader cost a CSV import 0.27 s and 23 MiB otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from control_plane.imports.formats.base import NULL_MARKERS, TableSource
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
        from control_plane.imports.formats.delimited import DelimitedSource  # noqa: PLC0415

        delimiter = "\t" if fmt is Format.TSV else options.get("delimiter")
        source: TableSource = DelimitedSource(path, name=None, delimiter=delimiter,
                                              encoding=options.get("encoding"), header=options.get("header"),
                                              null_markers=nulls)
        return [(table, source)]
    if fmt in (Format.JSON, Format.NDJSON):
        from control_plane.imports.formats.records import RecordSource  # noqa: PLC0415

        return [(table, RecordSource(path, name=None, lines=fmt is Format.NDJSON, null_markers=nulls))]
    if fmt is Format.XLSX:
        from control_plane.imports.formats.sheets import SheetSource, sheet_names  # noqa: PLC0415

        sheets = sheet_names(path)
        if len(sheets) == 1:
            return [(table, SheetSource(path, sheets[0], null_markers=nulls))]
        return [(safe_name(f"{table}_{sheet}", table), SheetSource(path, sheet, null_markers=nulls))
                for sheet in sheets]
    from control_plane.imports.formats.columnar import ParquetSource  # noqa: PLC0415

    return [(table, ParquetSource(path, name=None))]
