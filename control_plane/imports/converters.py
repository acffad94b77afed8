"""A cell's text as the Python value binary COPY sends for a column type; which types accept a column.

Type names are matched by family, so ``numeric(5,1)``, ``timestamp without
time zone`` (as ``format_type`` spells an existing column) and ``timestamp``
(as inference spells a new one) are understood alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from control_plane.imports.inference import TRUE_WORDS, Kind, Stats, parse_date, parse_stamp, parse_time

Convert = Callable[[Any], object]

FAMILIES: dict[str, str] = {
    "boolean": "boolean", "smallint": "integer", "integer": "integer", "bigint": "integer",
    "numeric": "numeric", "double precision": "double", "real": "double",
    "date": "date", "timestamp": "timestamp", "timestamp without time zone": "timestamp",
    "timestamptz": "timestamptz", "timestamp with time zone": "timestamptz",
    "time": "time", "time without time zone": "time", "uuid": "uuid", "jsonb": "jsonb", "json": "jsonb",
    "text": "text", "character varying": "text", "character": "text", "varchar": "text", "bytea": "bytea",
}
ACCEPTS: dict[str, Kind] = {
    "boolean": Kind.BOOLEAN, "integer": Kind.INTEGER, "numeric": Kind.INTEGER | Kind.NUMERIC,
    "double": Kind.INTEGER | Kind.NUMERIC | Kind.DOUBLE, "date": Kind.DATE,
    "timestamp": Kind.DATE | Kind.TIMESTAMP, "timestamptz": Kind.TIMESTAMPTZ, "time": Kind.TIME,
    "uuid": Kind.UUID, "jsonb": Kind.JSONB,
}


def family(sql_type: str) -> str | None:
    """The family of a Postgres type name, or None for a type imports do not load."""
    return FAMILIES.get(sql_type.split("(")[0].strip())


def accepts(sql_type: str, stats: Stats) -> bool:
    """Whether every value seen in a column can go into a column of ``sql_type``."""
    kind = family(sql_type)
    if kind is None:
        return False
    if kind == "text" or stats.seen == 0:
        return True
    return bool(stats.kinds & ACCEPTS[kind])


def _boolean(value: str) -> bool:
    return value.strip().lower() in TRUE_WORDS


def _text(value: str) -> str:
    return value


def _strip(value: str) -> str:
    return value.strip()


CONVERTERS: dict[str, Convert] = {
    "boolean": _boolean, "integer": lambda v: int(v), "numeric": lambda v: Decimal(v.strip()),
    "double": lambda v: float(v), "date": parse_date, "timestamp": parse_stamp, "timestamptz": parse_stamp,
    "time": parse_time, "uuid": lambda v: uuid.UUID(v.strip()), "jsonb": _strip, "text": _text,
}


def converter(sql_type: str) -> Convert:
    kind = family(sql_type)
    return CONVERTERS.get(kind or "text", _text)
