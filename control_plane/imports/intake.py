"""What every surface that takes a file shares: the format a media type or file name means."""

from __future__ import annotations

from pathlib import PurePath

from control_plane.imports.store import Format

CONTENT_TYPES = {
    "text/csv": Format.CSV, "application/csv": Format.CSV, "text/tab-separated-values": Format.TSV,
    "application/json": Format.JSON, "application/x-ndjson": Format.NDJSON,
    "application/jsonl": Format.NDJSON, "application/jsonlines": Format.NDJSON,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": Format.XLSX,
    "application/vnd.apache.parquet": Format.PARQUET, "application/x-parquet": Format.PARQUET,
    "application/sql": Format.SQL, "text/x-sql": Format.SQL,
    "text/markdown": Format.MARKDOWN, "text/x-markdown": Format.MARKDOWN, "text/plain": Format.MARKDOWN,
    "application/zip": Format.MARKDOWN,
}
EXTENSIONS = {".csv": Format.CSV, ".tsv": Format.TSV, ".tab": Format.TSV, ".json": Format.JSON,
              ".ndjson": Format.NDJSON, ".jsonl": Format.NDJSON, ".xlsx": Format.XLSX,
              ".parquet": Format.PARQUET, ".sql": Format.SQL, ".md": Format.MARKDOWN,
              ".markdown": Format.MARKDOWN, ".txt": Format.MARKDOWN, ".zip": Format.MARKDOWN}


def guess_format(content_type: str | None, filename: str | None) -> Format | None:
    """The Content-Type first, then the file name's extension; None when neither says."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media in CONTENT_TYPES:
        return CONTENT_TYPES[media]
    return EXTENSIONS.get(PurePath(filename or "").suffix.lower())
