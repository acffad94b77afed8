"""Postgres values as JSON: every type asyncpg returns becomes a JSON value, long text is cut."""

from __future__ import annotations

import datetime
import decimal
import math
import uuid
from collections.abc import Mapping
from typing import Any

import asyncpg

# Strings and bytes are the values that can be huge; everything else is bounded by its type.
_TRUNCATED = "…[{} more characters]"


class CellRenderer:
    """Turns one cell into JSON and counts how many cells it had to shorten."""

    __slots__ = ("max_chars", "truncated")

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.truncated = 0

    def render(self, value: Any) -> Any:
        if value is None or isinstance(value, bool | int):
            return value
        if isinstance(value, str):
            return self._text(value)
        if isinstance(value, float):
            return value if math.isfinite(value) else str(value)
        return self._other(value)

    def _other(self, value: Any) -> Any:
        if isinstance(value, decimal.Decimal):
            # A string keeps every digit; a JSON number would round through a double.
            return str(value)
        if isinstance(value, datetime.date | datetime.time):
            return value.isoformat()
        if isinstance(value, datetime.timedelta):
            return _interval(value)
        if isinstance(value, bytes | bytearray | memoryview):
            return self._text("\\x" + bytes(value).hex())
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, asyncpg.Range):
            return self._text(_range(value))
        if isinstance(value, asyncpg.Record | Mapping):
            return {str(k): self.render(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.render(item) for item in value]
        return self._text(str(value))

    def _text(self, text: str) -> str:
        if len(text) <= self.max_chars:
            return text
        self.truncated += 1
        return text[: self.max_chars] + _TRUNCATED.format(len(text) - self.max_chars)


def _interval(value: datetime.timedelta) -> str:
    """ISO 8601 duration, the form Postgres itself prints with IntervalStyle iso_8601."""
    sign = "-" if value < datetime.timedelta(0) else ""
    value = abs(value)
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    fraction = f".{value.microseconds:06d}".rstrip("0") if value.microseconds else ""
    return f"{sign}P{value.days}DT{hours}H{minutes}M{seconds}{fraction}S"


def _range(value: asyncpg.Range) -> str:
    if value.isempty:
        return "empty"
    lower = "" if value.lower is None else str(value.lower)
    upper = "" if value.upper is None else str(value.upper)
    return f"{'[' if value.lower_inc else '('}{lower},{upper}{']' if value.upper_inc else ')'}"
