"""Running an operator command: settings, one-line errors, exit codes, confirmation, progress.

Exit codes: 0 done, 1 the operation failed (or was refused at the prompt),
2 a usage error (typer's own). A traceback is printed only with ``--debug``.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn, TypeVar

import typer
from pydantic import SecretStr, ValidationError
from rich.progress import Progress

from cli.context import Operator, operator
from cli.runtime import StartupError
from control_plane.errors import BerthError
from control_plane.sealing import SealError
from control_plane.settings import MissingSecret, Process, Settings

T = TypeVar("T")
RUNTIME_FILE = "runtime.json"
NOT_FOUND = ("no Berth found: no `berth dev` is running in this directory and BERTH_DATABASE_URL is not set "
             "(run `berth dev` here, or set your installation's BERTH_* settings)")


def fail(message: str) -> NoReturn:
    typer.echo(f"berth: {message}", err=True)
    raise typer.Exit(1)


def load_settings(*roles: Process, **overrides: object) -> Settings:
    """The environment's settings for a process of ``roles``; a bad or missing one is one line and exit 1."""
    try:
        return Settings.for_role(*roles, **{k: v for k, v in overrides.items() if v is not None})
    except MissingSecret as exc:
        fail(str(exc))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).replace("Value error, ", "")
        fail(f"invalid setting {where}: {message}" if where else message)


def write_runtime(settings: Settings) -> Path:
    """Where a running `berth dev` tells operator commands in other shells how to reach it."""
    path = settings.data_dir / RUNTIME_FILE
    urls = {"database_url": settings.database_url_value, "redis_url": settings.redis_url_value}
    path.write_text(json.dumps(urls))
    path.chmod(0o600)
    return path


def operator_settings() -> Settings:
    """The environment's settings; with no catalog URL, those of the `berth dev` running here."""
    runtime = _dev_runtime()
    if runtime is None and not os.environ.get("BERTH_DATABASE_URL"):
        fail(NOT_FOUND)
    if runtime is None:
        return load_settings(Process.OPERATOR)
    urls = {k: SecretStr(v) for k, v in json.loads(runtime.read_text()).items()}
    return load_settings(Process.OPERATOR, dev=True).with_dev_secrets().model_copy(
        update={**urls, "local_servers": urls["database_url"]})


def _dev_runtime() -> Path | None:
    if os.environ.get("BERTH_DATABASE_URL"):
        return None
    path = Path(os.environ.get("BERTH_DATA_DIR", ".berth")) / RUNTIME_FILE
    return path if path.exists() else None


def run(ctx: typer.Context, work: Callable[[Operator], Awaitable[T]]) -> T:
    """Run ``work`` with an operator context; every failure becomes one line and exit 1."""
    settings = operator_settings()

    async def body() -> T:
        async with operator(settings) as op:
            return await work(op)

    try:
        return asyncio.run(body())
    except (BerthError, StartupError, SealError, MissingSecret) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted; what finished is kept, run the command again to resume")
    except Exception as exc:
        if ctx.obj and ctx.obj.get("debug"):
            raise
        fail(f"unexpected {type(exc).__name__} (run with --debug for the traceback)")


def confirm(question: str, yes: bool) -> None:
    """Ask before destroying anything; refusing changes nothing and exits 1."""
    if not yes and not typer.confirm(question, default=False):
        fail("not confirmed; nothing was changed")


@contextmanager
def progress(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr; yields a callback that advances it."""
    with Progress(transient=True, console=None) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
