"""The operator's command groups, each a typer app of its own."""

from __future__ import annotations

import typer

from cli.commands import keys


def register(app: typer.Typer) -> None:
    app.add_typer(keys.app, name="keys")
