"""The `berth` command: run Berth and operate it."""

from __future__ import annotations

import asyncio
import sys
from enum import Enum
from importlib.metadata import version
from pathlib import Path

import typer

from cli import banner, first_run, runtime, telemetry
from cli.commands import register
from cli.operate import fail, load_settings, write_runtime
from cli.server import Part
from control_plane.api.app import serving as control_serving
from control_plane.errors import BerthError
from control_plane.mail import catcher
from control_plane.observability.metrics import Metrics
from control_plane.settings import Process
from data_plane.lifespan import serving as gateway_serving

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Berth: a Postgres database per endpoint, served to AI agents over MCP.")


def _version(shown: bool) -> None:
    if shown:
        typer.echo(f"berth {version('berth')}")
        raise typer.Exit()


@app.callback()
def root(ctx: typer.Context,
         debug: bool = typer.Option(False, "--debug", help="Show a traceback when a command fails."),
         _: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                help="Print the version and exit.")) -> None:
    ctx.obj = {"debug": debug}


class Served(str, Enum):
    """The roles `berth serve` runs alone (each is a ``Process`` of the same name)."""

    api = "api"
    gateway = "gateway"
    worker = "worker"


def _background_parts(metrics: Metrics) -> list[Part]:
    from jobs.worker import running

    return [telemetry.bound(running, metrics)]


@app.command()
def dev(
    port: int = typer.Option(None, help="Port for the API and the gateway (default 8080)."),
    host: str = typer.Option(None, help="Address to listen on (default 127.0.0.1)."),
    data_dir: Path = typer.Option(None, help="Where embedded services keep data (default .berth)."),
) -> None:
    """Run everything in one process, on embedded Postgres and Redis unless URLs are set."""
    configured = load_settings(*Process, dev=True, port=port, host=host, data_dir=data_dir).with_dev_secrets()
    settings = catcher.for_dev(configured)  # mail goes to a local catcher unless a relay is configured
    metrics = telemetry.start(settings)
    background = _background_parts(metrics) + ([catcher.catching] if configured.smtp_host is None else [])
    try:
        runtime.check_port(settings.host, settings.port)
        with runtime.services(settings) as resolved:
            asyncio.run(runtime.prepare(resolved))
            marker = write_runtime(resolved)
            try:
                lines = asyncio.run(first_run.welcome(resolved))
                typer.echo(f"Berth is running at {resolved.base_url}  (Ctrl-C to stop)")
                typer.echo(f"  control plane: {resolved.base_url}/v1   docs: {resolved.base_url}/docs")
                typer.echo(f"  gateway:       {resolved.base_url}/e/<slug>/mcp")
                typer.echo(f"  sign-in:       {resolved.base_url}/login   mail: {resolved.base_url}/dev/mail")
                typer.echo("\n".join(["", *lines, ""]))
                runtime.serve(resolved, telemetry.bound(control_serving, metrics),
                              telemetry.bound(gateway_serving, metrics), background, metrics)
            finally:
                marker.unlink(missing_ok=True)
    except (runtime.StartupError, BerthError) as exc:
        fail(str(exc))


@app.command()
def migrate() -> None:
    """Apply the catalog migrations not yet applied (safe to run again)."""
    settings = load_settings(Process.MIGRATE)
    try:
        applied = asyncio.run(runtime.prepare(settings))
    except runtime.StartupError as exc:
        fail(str(exc))
        return
    typer.echo("applied: " + ", ".join(applied) if applied else "catalog is up to date")


@app.command()
def serve(role: Served = typer.Argument(..., help="api, gateway or worker")) -> None:
    """Run one role of Berth in this process."""
    settings = load_settings(Process(role.value))  # only this role's secrets are required
    metrics = telemetry.start(settings)
    parts: dict[Served, tuple[Part | None, Part | None, list[Part]]] = {
        Served.api: (telemetry.bound(control_serving, metrics), None, []),
        Served.gateway: (None, telemetry.bound(gateway_serving, metrics), []),
        Served.worker: (None, None, _background_parts(metrics)),
    }
    try:
        asyncio.run(runtime.check_services(settings))
        runtime.check_port(settings.host, settings.port)
        typer.echo("\n".join(banner.lines(role.value, settings,
                                          metrics_public=telemetry.metrics_public(settings))))
        runtime.serve(settings, *parts[role], metrics)
    except runtime.StartupError as exc:
        fail(str(exc))


register(app)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
