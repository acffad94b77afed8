"""The operator's command groups, each a typer app of its own."""

from __future__ import annotations

import typer

from cli.commands import audit, endpoints, jobs, keys, oauth, ops, support, tenants, tokens, usage


def register(app: typer.Typer) -> None:
    ops.register(app)
    app.add_typer(tenants.app, name="tenants")
    app.add_typer(endpoints.app, name="endpoints")
    app.add_typer(tokens.app, name="tokens")
    app.add_typer(usage.app, name="usage")
    app.add_typer(audit.app, name="audit", help="The audit log: who did what, to what, when.")
    app.add_typer(jobs.app, name="jobs")
    app.add_typer(keys.app, name="keys")
    app.add_typer(oauth.app, name="oauth")
    app.add_typer(support.app, name="support")
