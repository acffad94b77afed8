"""`berth tokens`: an endpoint's bearer tokens; a new token is printed once and never again."""

from __future__ import annotations

from dataclasses import asdict
from uuid import UUID

import typer

from cli.context import Operator
from cli.operate import confirm, run
from cli.output import emit, emit_one
from control_plane import operator
from control_plane.services import endpoint_tokens

app = typer.Typer(help="Endpoint bearer tokens.", no_args_is_help=True)
COLUMNS = ("id", "name", "prefix", "scopes", "created_at", "expires_at", "revoked_at", "last_used_at")
JSON = typer.Option(False, "--json", help="Print JSON.")
ENDPOINT = typer.Argument(..., help="Endpoint id or slug.")
ONCE = "Copy the token now: Berth keeps only its hash and will not show it again."


def _issued(item: endpoint_tokens.IssuedToken, endpoint: operator.EndpointRef) -> dict[str, object]:
    return {"endpoint_id": endpoint.id, **asdict(item)}


def _print_new(item: dict[str, object], as_json: bool) -> None:
    emit_one(item, as_json=as_json)
    if not as_json:
        typer.echo(ONCE, err=True)


@app.command("issue")
def issue_command(
    ctx: typer.Context,
    endpoint: str = ENDPOINT,
    name: str = typer.Option("operator", "--name", help="What the token is for."),
    write: bool = typer.Option(False, "--write", help="Allow writes (scope mcp:write)."),
    expires_in: int = typer.Option(None, "--expires-in", help="Lifetime in seconds (default: no expiry)."),
    as_json: bool = JSON,
) -> None:
    """A new token for the endpoint, printed once."""
    scopes = ["mcp", "mcp:write"] if write else ["mcp"]

    async def work(op: Operator) -> dict[str, object]:
        found = await operator.find_endpoint(op.worker, endpoint)
        made = await endpoint_tokens.issue(op.services, op.caller(found.tenant_id), found.id, name, scopes,
                                           expires_in)
        return _issued(made, found)

    _print_new(run(ctx, work), as_json)


@app.command("list")
def list_command(ctx: typer.Context, endpoint: str = ENDPOINT, as_json: bool = JSON) -> None:
    """The endpoint's tokens (prefixes only), revoked ones included."""

    async def work(op: Operator) -> list[dict[str, object]]:
        found = await operator.find_endpoint(op.worker, endpoint)
        listed = await endpoint_tokens.list_tokens(op.services, op.caller(found.tenant_id), found.id)
        return [asdict(t) for t in listed]

    emit(run(ctx, work), COLUMNS, as_json=as_json, title="tokens")


@app.command("revoke")
def revoke_command(
    ctx: typer.Context,
    endpoint: str = ENDPOINT,
    token_id: UUID = typer.Argument(..., help="The token's id (from `berth tokens list`)."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    as_json: bool = JSON,
) -> None:
    """The token stops working at once, on every gateway."""
    confirm(f"Revoke token {token_id}?", yes)

    async def work(op: Operator) -> dict[str, object]:
        found = await operator.find_endpoint(op.worker, endpoint)
        await endpoint_tokens.revoke(op.services, op.caller(found.tenant_id), found.id, token_id)
        return {"endpoint_id": found.id, "token_id": token_id, "revoked": True}

    emit_one(run(ctx, work), as_json=as_json)


@app.command("rotate")
def rotate_command(
    ctx: typer.Context,
    endpoint: str = ENDPOINT,
    token_id: UUID = typer.Argument(..., help="The token to replace."),
    as_json: bool = JSON,
) -> None:
    """A new token with the old one's name, scopes and lifetime; the old one is revoked. Printed once."""

    async def work(op: Operator) -> dict[str, object]:
        found = await operator.find_endpoint(op.worker, endpoint)
        made = await endpoint_tokens.rotate(op.services, op.caller(found.tenant_id), found.id, token_id)
        return {**_issued(made, found), "replaces": token_id}

    _print_new(run(ctx, work), as_json)
