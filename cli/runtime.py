"""Starting Berth: services (configured or embedded), reachability checks, migration, uvicorn."""

from __future__ import annotations

import contextlib
import signal
import socket
from collections.abc import Iterator

import asyncpg
import uvicorn
from pydantic import SecretStr

from cli import telemetry
from cli.embedded import embedded_postgres, embedded_redis
from cli.server import Part, RootApp
from control_plane.catalog.migrate import migrate
from control_plane.dsn import redact
from control_plane.observability.http import Observed
from control_plane.observability.metrics import Metrics
from control_plane.redis import connect as redis_connect
from control_plane.settings import Settings

CONNECT_TIMEOUT = 5.0
MISSING_EMBEDDED = ("pip install 'berth[dev-services]' for the embedded Postgres and Redis, "
                    "or set BERTH_DATABASE_URL and BERTH_REDIS_URL")


class StartupError(Exception):
    """A one-line reason Berth cannot start; never holds a password."""


@contextlib.contextmanager
def services(settings: Settings) -> Iterator[Settings]:
    """Settings whose database and Redis URLs point at real servers, embedded when unset."""
    with contextlib.ExitStack() as stack:
        updates: dict[str, SecretStr] = {}
        try:
            if settings.database_url is None:
                url = stack.enter_context(embedded_postgres(settings.data_dir))
                updates["database_url"] = SecretStr(url)
            if settings.redis_url is None:
                url = stack.enter_context(embedded_redis(settings.data_dir))
                updates["redis_url"] = SecretStr(url)
        except ModuleNotFoundError as exc:
            raise StartupError(f"{exc.name} is not installed: {MISSING_EMBEDDED}") from None
        resolved = settings.model_copy(update=updates)
        if resolved.local_servers is None:
            resolved = resolved.model_copy(update={"local_servers": resolved.database_url})
        yield resolved


async def check_catalog(settings: Settings) -> asyncpg.Connection:
    dsn = settings.database_url_value
    try:
        return await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT)
    except (OSError, asyncpg.PostgresError, TimeoutError, ValueError) as exc:
        reason = type(exc).__name__ if isinstance(exc, ValueError) else _reason(exc)
        raise StartupError(
            f"BERTH_DATABASE_URL: cannot connect to {redact(dsn)} ({reason})"
        ) from None


async def check_redis(settings: Settings) -> None:
    url = settings.redis_url_value
    client = redis_connect.connect(url, socket_connect_timeout=CONNECT_TIMEOUT)
    try:
        await client.ping()
    except (*redis_connect.REDIS_DOWN, ValueError) as exc:
        raise StartupError(f"BERTH_REDIS_URL: cannot reach {redact(url)} ({_reason(exc)})") from None
    finally:
        await client.aclose()


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]


async def prepare(settings: Settings) -> list[str]:
    """Check both services and migrate the catalog; returns the migrations applied."""
    await check_redis(settings)
    conn = await check_catalog(settings)
    try:
        return await migrate(conn)
    finally:
        await conn.close()


async def check_services(settings: Settings) -> None:
    """Both services reachable, or a one-line StartupError naming the setting."""
    await check_redis(settings)
    conn = await check_catalog(settings)
    await conn.close()


def check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise StartupError(f"cannot listen on {host}:{port} ({exc.strerror})") from None


def _exit_on_term(signum: int, frame: object) -> None:
    raise SystemExit(0)


def root_app(settings: Settings, control: Part | None, gateway: Part | None, background: list[Part],
             metrics: Metrics) -> Observed:
    """The one ASGI app of a process: its roles under the root, observed (access log, metrics)."""
    return Observed(RootApp(settings, control, gateway, background), metrics,
                    expose_metrics=telemetry.metrics_public(settings))


def serve(settings: Settings, control: Part | None, gateway: Part | None,
          background: list[Part], metrics: Metrics | None = None, *, http: str = "auto",
          loop: str = "auto", sockets: list[socket.socket] | None = None) -> None:
    """Serve until stopped, on ``settings.host:port``, or on ``sockets`` already bound when given."""
    # uvicorn re-raises the signal it stopped on; make SIGTERM unwind like Ctrl-C
    # so embedded servers are stopped by their context managers.
    signal.signal(signal.SIGTERM, _exit_on_term)
    metrics = metrics or Metrics()
    app = root_app(settings, control, gateway, background, metrics)
    # http/loop "auto": httptools and uvloop (uvicorn[standard]), measured in bench/STACKS.md.
    # log_config=None: uvicorn's own lines go through the process's structured logging.
    config = uvicorn.Config(app, host=settings.host, port=settings.port, lifespan="on", http=http, loop=loop,
                            log_level="warning", access_log=False, log_config=None)
    with telemetry.metrics_port(settings, metrics):
        uvicorn.Server(config).run(sockets=sockets)
