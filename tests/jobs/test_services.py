"""The operator's job commands: list, show, retry a dead job, queue depth."""

from __future__ import annotations

import asyncpg
import pytest

from control_plane.catalog.jobs import operator as jobs
from control_plane.errors import Conflict, NotFound


async def test_list_show_retry_and_depth(pool: asyncpg.Pool, catalog: asyncpg.Connection) -> None:
    dead = await catalog.fetchval(
        "INSERT INTO jobs (kind, status, attempts, last_error) VALUES ('reconcile', 'dead', 8, 'boom') "
        "RETURNING id")
    queued = await jobs.request(pool, "reconcile", {"dry_run": True})
    assert [j.id for j in await jobs.list_jobs(pool)] == [queued, dead]
    assert [j.id for j in await jobs.list_jobs(pool, status="dead")] == [dead]
    assert (await jobs.show(pool, queued)).payload == {"dry_run": True}
    depth = await jobs.depth(pool)
    assert (depth.queued, depth.due, depth.running, depth.dead) == (1, 1, 0, 1)

    retried = await jobs.retry(pool, dead)
    assert (retried.status, retried.attempts, retried.last_error) == ("queued", 0, "boom")
    assert (await jobs.depth(pool)).dead == 0
    with pytest.raises(Conflict, match="only a dead job"):
        await jobs.retry(pool, queued)
    with pytest.raises(NotFound):
        await jobs.show(pool, 999_999)
