"""The import tools as MCP ``Tool`` dicts, built once: shown to write tokens only."""

from __future__ import annotations

from typing import Any

from control_plane.imports.store import Format, Mode, State
from data_plane.tools.outputs import nullable, output

_ANNOTATIONS = {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": False,
                "openWorldHint": False}
_FETCH = {**_ANNOTATIONS, "openWorldHint": True}
_READ = {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True, "openWorldHint": False}
_COMMON = {
    "filename": {"type": "string", "maxLength": 255,
                 "description": "The file's name; its extension tells the format when format is not given."},
    "format": {"type": "string", "enum": [f.value for f in Format]},
    "table": {"type": "string", "maxLength": 63,
              "description": "Table to load into (default: from the name)."},
    "mode": {"type": "string", "enum": [m.value for m in Mode], "default": Mode.CREATE.value,
             "description": "create (the table must not exist), replace (swap in), append (same columns)."},
}
_STATE = output({
    "id": {"type": "string"}, "format": {"type": "string"}, "table_name": nullable({"type": "string"}),
    "mode": {"type": "string"}, "state": {"type": "string", "enum": [s.value for s in State]},
    "bytes_total": {"type": "integer"}, "bytes_done": {"type": "integer"}, "rows_done": {"type": "integer"},
    "tables": {"type": "array", "items": {"type": "object"}},
    "errors": {"type": "array", "items": {"type": "object"}},
    "created_at": {"type": "string"}, "finished_at": nullable({"type": "string"}),
}, ("id", "format", "mode", "state", "bytes_total", "bytes_done", "rows_done", "tables", "errors"))


def _tool(name: str, title: str, description: str, properties: dict[str, Any], required: tuple[str, ...],
          annotations: dict[str, bool]) -> dict[str, Any]:
    inputs = {"type": "object", "properties": properties, "required": list(required),
              "additionalProperties": False}
    return {"name": name, "title": title, "description": description, "inputSchema": inputs,
            "outputSchema": _STATE, "annotations": {"title": title, **annotations}}


IMPORT_FILE = _tool(
    "import_file", "Import a small file",
    "Load a file given as base64 (at most 4 MiB, and the request must fit the gateway's body limit) into "
    "this endpoint's database: CSV, TSV, JSON, NDJSON, XLSX, Parquet, a SQL script or Markdown. Returns "
    "the import, queued; poll get_import until it is done or failed.",
    {"data": {"type": "string", "description": "The file's bytes, base64."}, **_COMMON}, ("data",),
    _ANNOTATIONS)
IMPORT_URL = _tool(
    "import_url", "Import a file from a URL",
    "Download an http(s) URL (public addresses only, at most 3 redirects, up to the plan's import limit) "
    "and load it like import_file. Returns the import, queued; poll get_import.",
    {"url": {"type": "string", "maxLength": 2048, "format": "uri"}, **_COMMON}, ("url",), _FETCH)
GET_IMPORT = _tool(
    "get_import", "Show an import",
    "The state of one import of this endpoint: queued, loading, done (tables, columns, rows) or failed "
    "(errors with line and column).",
    {"import_id": {"type": "string", "format": "uuid"}}, ("import_id",), _READ)

IMPORT_TOOLS: tuple[dict[str, Any], ...] = (IMPORT_FILE, IMPORT_URL, GET_IMPORT)
NAMES = frozenset(t["name"] for t in IMPORT_TOOLS)
