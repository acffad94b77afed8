"""How the operator CLI prints: rich tables by default, JSON with --json, errors as one line."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Table

PIPED_WIDTH = 10_000


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def emit(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, as_json: bool,
         title: str | None = None) -> None:
    """Print rows as a table, or as a JSON array of objects."""
    if as_json:
        typer.echo(json.dumps([{c: _plain(r.get(c)) for c in columns} for r in rows]))
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")  # a narrow terminal wraps a value, never cuts it
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(_plain(row.get(c))) for c in columns))
    _console().print(table)


def _console() -> Console:
    """A terminal's width when there is one; piped output is never squeezed into 80 columns."""
    console = Console()
    return console if console.is_terminal else Console(width=PIPED_WIDTH)


def emit_one(item: Mapping[str, Any], *, as_json: bool) -> None:
    """Print one object as key/value lines, or as a JSON object."""
    if as_json:
        typer.echo(json.dumps({k.replace(" ", "_"): _plain(v) for k, v in item.items()}))
        return
    width = max((len(k) for k in item), default=0)
    for key, value in item.items():
        typer.echo(f"{key.ljust(width)}  {'' if value is None else _plain(value)}")
