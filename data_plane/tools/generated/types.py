"""Postgres column types as the generator sees them: a kind, JSON Schemas in and out, and argument coercion.

Input values are JSON; each kind turns one into the Python value asyncpg encodes
for the column's type, or raises ``ToolArgumentError`` before any SQL runs.
Output schemas describe exactly what ``values.CellRenderer`` produces and carry
no ``format`` (the TypeScript SDK validates formats, and a timestamp without a
zone is not an RFC 3339 date-time).
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Callable
from typing import Any

from data_plane.tools.contract import ToolArgumentError

_INTEGER = frozenset({"int2", "int4", "int8", "oid"})
_FLOAT = frozenset({"float4", "float8"})
_TEXT = frozenset({"text", "varchar", "bpchar", "name", "citext"})
_TIMESTAMP = {"timestamp": "timestamp", "timestamptz": "timestamptz", "date": "date"}
INT_BOUNDS = {"int2": 2**15, "int4": 2**31, "int8": 2**63}
MAX_TEXT_ARG = 10_000

# The kinds a filter, a key or a cursor can take as an argument.
COMPARABLE = frozenset({"integer", "float", "numeric", "date", "timestamp", "timestamptz"})
ARGUMENT_KINDS = COMPARABLE | frozenset({"boolean", "text", "uuid", "enum"})
DATE_KINDS = frozenset({"date", "timestamp", "timestamptz"})


def kind_of(base: str, typtype: str, category: str) -> str:
    """The generator's family for a (domain-resolved) type."""
    if typtype == "e":
        return "enum"
    if category == "A":
        return "array"
    if base in _INTEGER:
        return "integer"
    if base in _FLOAT:
        return "float"
    if base == "numeric":
        return "numeric"
    if base == "bool":
        return "boolean"
    if base in _TEXT:
        return "text"
    if base == "uuid":
        return "uuid"
    if base in ("json", "jsonb"):
        return "json"
    return _TIMESTAMP.get(base, "other")


def input_schema(kind: str, enum_values: tuple[str, ...] = (), base: str = "") -> dict[str, Any]:
    """The JSON Schema of one argument of this kind."""
    if kind == "enum":
        return {"type": "string", "enum": list(enum_values)}
    if base in INT_BOUNDS:
        return {"type": "integer", "minimum": -INT_BOUNDS[base], "maximum": INT_BOUNDS[base] - 1}
    return dict(_INPUTS.get(kind, {"type": "string"}))


_INPUTS: dict[str, dict[str, Any]] = {
    "integer": {"type": "integer"},
    "float": {"type": "number"},
    "numeric": {"type": "number"},
    "boolean": {"type": "boolean"},
    "text": {"type": "string", "maxLength": MAX_TEXT_ARG},
    "uuid": {"type": "string", "format": "uuid"},
    "date": {"type": "string", "format": "date"},
    "timestamp": {"type": "string", "format": "date-time"},
    "timestamptz": {"type": "string", "format": "date-time"},
}


def output_schema(kind: str, nullable: bool, pg_type: str) -> dict[str, Any]:
    """What the renderer puts in a cell of this kind; ``anyOf`` with null when the column may be NULL."""
    base = dict(_OUTPUTS.get(kind, {}))
    if not base:
        return {"description": pg_type}
    if nullable:
        return {"anyOf": [base, {"type": "null"}], "description": pg_type}
    return {**base, "description": pg_type}


_OUTPUTS: dict[str, dict[str, Any]] = {
    "integer": {"type": "integer"},
    "float": {"anyOf": [{"type": "number"}, {"type": "string"}]},
    "numeric": {"type": "string"},
    "boolean": {"type": "boolean"},
    "text": {"type": "string"},
    "uuid": {"type": "string"},
    "date": {"type": "string"},
    "timestamp": {"type": "string"},
    "timestamptz": {"type": "string"},
    "enum": {"type": "string"},
    "array": {"type": "array"},
}


def coerce(kind: str, value: Any, name: str, base: str = "") -> Any:
    """The Python value for one JSON argument; ``ToolArgumentError`` naming the argument otherwise."""
    try:
        coerced = _COERCE[kind](value)
        if base in INT_BOUNDS and not -INT_BOUNDS[base] <= coerced < INT_BOUNDS[base]:
            raise ValueError
        return coerced
    except (TypeError, ValueError, ArithmeticError, KeyError) as exc:
        raise ToolArgumentError(f"{name!r} must be {_EXPECTED.get(kind, 'a string')}") from exc


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not -(2**63) <= value < 2**63:
        raise TypeError
    return value


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError
    return float(value)


def _numeric(value: Any) -> decimal.Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError
    number = decimal.Decimal(str(value))
    if not number.is_finite():
        raise ValueError
    return number


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT_ARG or "\x00" in value:
        raise TypeError
    return value


def _date(value: Any) -> datetime.date:
    return datetime.date.fromisoformat(_text(value))


def _timestamptz(value: Any) -> datetime.datetime:
    moment = datetime.datetime.fromisoformat(_text(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def _timestamp(value: Any) -> datetime.datetime:
    moment = datetime.datetime.fromisoformat(_text(value))
    return moment.astimezone(datetime.UTC).replace(tzinfo=None) if moment.tzinfo else moment


_COERCE: dict[str, Callable[[Any], Any]] = {
    "integer": _integer, "float": _float, "numeric": _numeric, "boolean": _boolean, "text": _text,
    "uuid": lambda v: uuid.UUID(_text(v)), "enum": _text, "date": _date, "timestamp": _timestamp,
    "timestamptz": _timestamptz,
}
_EXPECTED = {
    "integer": "an integer in the column's range", "float": "a number", "numeric": "a number",
    "boolean": "true or false",
    "uuid": "a UUID string", "date": "a date (YYYY-MM-DD)", "timestamp": "an ISO 8601 date-time",
    "timestamptz": "an ISO 8601 date-time", "text": f"a string of at most {MAX_TEXT_ARG} characters",
}


def to_json(value: Any) -> Any:
    """A key value as JSON for a cursor; ``coerce`` reads it back."""
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value
