"""Generated tools' results: rows as objects under the byte cap, framed as untrusted data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
import orjson

from data_plane.tools.contract import QueryLimits, ToolOutcome
from data_plane.tools.results import UNTRUSTED, failure, success
from data_plane.tools.values import CellRenderer


def rows(records: Sequence[asyncpg.Record], limits: QueryLimits, title: str,
         extra: dict[str, Any] | None = None, *, more: bool = False) -> ToolOutcome:
    """Every record as an object, stopping at the result byte cap; ``more``: rows beyond the limit exist."""
    renderer = CellRenderer(limits.max_cell_chars)
    kept: list[dict[str, Any]] = []
    lines: list[bytes] = []
    size = 0
    truncated = False
    for record in records:
        row = {key: renderer.render(value) for key, value in record.items()}
        line = orjson.dumps(row)
        size += len(line) + 1
        if size > limits.max_result_bytes:
            truncated = True
            break
        kept.append(row)
        lines.append(line)
    structured = {**(extra or {}), "rows": kept, "row_count": len(kept), "truncated": truncated or more,
                  "truncated_cells": renderer.truncated}
    return success(structured, _text(title, structured, lines), len(kept))


def _text(title: str, structured: dict[str, Any], lines: list[bytes]) -> str:
    parts = [f"{title}: {structured['row_count']} row(s).", UNTRUSTED, "<rows>",
             *(line.decode() for line in lines), "</rows>"]
    if structured.get("next_cursor"):
        parts.append(f"More rows: pass cursor={structured['next_cursor']!r} for the next page.")
    if structured["truncated"] and not structured.get("next_cursor"):
        parts.append("More rows exist than were returned: narrow the conditions or ask for fewer columns.")
    if structured["truncated_cells"]:
        parts.append(f"{structured['truncated_cells']} long value(s) were cut short.")
    return "\n".join(parts)


def one(record: asyncpg.Record | None, limits: QueryLimits, title: str, missing: str) -> ToolOutcome:
    """One row as ``{"row": {...}}``, or a not_found error the agent can act on."""
    if record is None:
        return failure({"code": "not_found", "message": missing}, f"Not found: {missing}.")
    renderer = CellRenderer(limits.max_cell_chars)
    row = {key: renderer.render(value) for key, value in record.items()}
    body = orjson.dumps(row).decode()
    return success({"row": row}, f"{title}\n{UNTRUSTED}\n<row>\n{body}\n</row>", 1)


def data(structured: dict[str, Any], title: str, count: int) -> ToolOutcome:
    body = orjson.dumps(structured).decode()
    return success(structured, f"{title}\n{UNTRUSTED}\n<data>\n{body}\n</data>", count)
