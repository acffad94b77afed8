"""The operator's command groups, each a typer app of its own."""

from __future__ import annotations

import typer

from cli.commands import jobs, keys, ops


def register(app: typer.Typer) -> None:
    ops.register(app)
    app.add_typer(jobs.app, name="jobs")
    app.add_typer(keys.app, name="keys")
