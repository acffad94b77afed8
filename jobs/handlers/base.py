"""What every handler is given, and the shape of a handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import redis.asyncio as aioredis

from control_plane.catalog.jobs import Job
from control_plane.catalog.jobs.lease import Clock
from control_plane.providers.base import Provider
from control_plane.sealing import Sealer

Progress = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Resources:
    """One worker's connections: the ``berth_worker`` catalog pool, the provider, Redis, the sealer.

    ``orphan_grace`` is how long a quarantined orphan database is kept before the reconciler drops it;
    ``spool`` is the import spool directory (shared with the API and the gateway) and ``spool_grace``
    how long a spool file may go unwritten before the sweep calls it left over.
    """

    pool: asyncpg.Pool
    provider: Provider
    sealer: Sealer
    redis: aioredis.Redis
    clock: Clock
    orphan_grace: timedelta = timedelta(hours=24)
    spool: Path | None = None
    spool_grace: timedelta = timedelta(hours=1)


Run = Callable[[Resources, Job, Progress], Coroutine[Any, Any, list[str]]]
OnDead = Callable[[Resources, Job, str], Awaitable[None]]


@dataclass(frozen=True)
class Handler:
    """``run`` returns sentences saying what it did; ``on_dead`` settles the state a buried job leaves."""

    run: Run
    on_dead: OnDead | None = None


def endpoint_of(job: Job) -> UUID:
    return UUID(str(job.payload["endpoint_id"]))
