"""Tool arguments checked against the input schemas: a bad one is a ToolArgumentError (-32602)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from data_plane.tools.contract import ToolArgumentError

DEFAULT_MAX_ROWS = 100
MAX_ROWS = 1000
MAX_PARAMS = 100


def only(arguments: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(arguments) - allowed)
    if unknown:
        raise ToolArgumentError(f"unknown argument(s): {', '.join(unknown)}")


def text(arguments: Mapping[str, Any], name: str) -> str:
    value = arguments.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ToolArgumentError(f"{name!r} is required and must be a non-empty string")
    return value


def optional_text(arguments: Mapping[str, Any], name: str) -> str | None:
    value = arguments.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ToolArgumentError(f"{name!r} must be a non-empty string when given")
    return value


def params(arguments: Mapping[str, Any]) -> list[Any]:
    """Positional values for $1, $2, ...; a JSON object travels as JSON text (for json/jsonb)."""
    value = arguments.get("params")
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_PARAMS:
        raise ToolArgumentError(f"'params' must be an array of at most {MAX_PARAMS} values")
    return [orjson.dumps(item).decode() if isinstance(item, dict) else item for item in value]


def max_rows(arguments: Mapping[str, Any], cap: int) -> int:
    value = arguments.get("max_rows", DEFAULT_MAX_ROWS)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ROWS:
        raise ToolArgumentError(f"'max_rows' must be an integer from 1 to {MAX_ROWS}")
    return min(value, cap)
