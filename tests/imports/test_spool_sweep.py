"""The worker's spool sweep: files left by uploads that died go, files an import still needs stay."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path

import asyncpg

from control_plane.catalog.jobs import Kind
from control_plane.imports.spool import spool_dir
from control_plane.settings import Settings
from jobs.worker import running

SEED = """
WITH t AS (INSERT INTO tenants (id, name) VALUES ($1, 'sweep')),
e AS (INSERT INTO endpoints (id, tenant_id, slug, name, plan, provider, status)
      VALUES ($2, $1, 'data-sweep', 'data', 'free', 'local', 'ready'))
SELECT 1
"""
IMPORT = """
INSERT INTO imports (id, tenant_id, endpoint_id, format, mode, state, spool_path, actor)
VALUES ($1, $2, $3, 'csv', 'create', $4, $5, 'test')
"""
TWO_HOURS = 2 * 3600


def spooled(directory: Path, name: str, *, age: float) -> Path:
    path = directory / name
    path.write_bytes(b"id,name\n1,anchor\n")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


async def test_the_sweep_removes_what_no_upload_or_import_needs(settings: Settings,
                                                                catalog: asyncpg.Connection) -> None:
    directory = spool_dir(settings.data_dir)
    directory.mkdir(parents=True)
    tenant, endpoint = uuid.uuid4(), uuid.uuid4()
    await catalog.execute(SEED, tenant, endpoint)
    ids = {name: uuid.uuid4() for name in ("dead", "live", "loading", "failed", "unknown")}
    dead_upload = spooled(directory, f"{ids['dead']}.part", age=TWO_HOURS)
    live_upload = spooled(directory, f"{ids['live']}.part", age=60)
    loading = spooled(directory, f"{ids['loading']}.upload", age=TWO_HOURS)
    finished = spooled(directory, f"{ids['failed']}.upload", age=TWO_HOURS)
    never_recorded = spooled(directory, f"{ids['unknown']}.upload", age=TWO_HOURS)
    not_ours = spooled(directory, "notes.txt", age=TWO_HOURS)
    # An import still loading (or queued) needs its file however old; a failed one no longer does.
    await catalog.execute(IMPORT, ids["loading"], tenant, endpoint, "loading", str(loading))
    await catalog.execute(IMPORT, ids["failed"], tenant, endpoint, "failed", None)

    async with running(settings, periodic={Kind.SWEEP_SPOOL: 0.05}):
        for _ in range(400):
            if not dead_upload.exists() and not never_recorded.exists() and not finished.exists():
                break
            await asyncio.sleep(0.05)
    assert not dead_upload.exists() and not finished.exists() and not never_recorded.exists()
    assert live_upload.exists() and loading.exists() and not_ours.exists()
    said = await catalog.fetchval("SELECT result::text FROM jobs WHERE kind = 'sweep_spool' "
                                  "AND status = 'done' ORDER BY id LIMIT 1")
    assert "removed 3 of 4 spool files" in said, said
