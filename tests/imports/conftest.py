"""Fixtures for imports: a real endpoint on the local provider, made through the API and the worker.

``berth`` serves the control plane and runs a worker over this test's catalog,
signs a tenant up, and waits for its endpoint to be ready; ``berth.upload``
sends a file through ``POST /v1/endpoints/{id}/imports`` and waits for the
worker to settle it. The endpoint (and its database) is deleted afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from control_plane.api.app import serving
from control_plane.sealing import Sealed, Sealer
from control_plane.settings import Settings
from jobs.worker import running

PASSWORD = "correct horse battery"  # noqa: S105 - a test account's password
OWNER_DSN = "SELECT seal_key_id, sealed_owner_dsn FROM endpoints WHERE id = $1"
STATUS = "SELECT status FROM endpoints WHERE id = $1"
SETTLED = ("done", "failed")
JOBS = "SELECT string_agg(kind || ':' || status || ':' || coalesce(last_error, ''), '; ') FROM jobs"


async def until(probe: Any, want: Any, what: Any, tries: int = 600) -> None:
    """Poll until ``probe()`` is one of ``want``; ``what`` names it (or is awaited to explain the failure)."""
    for _ in range(tries):
        if await probe() in want:
            return
        await asyncio.sleep(0.05)
    said = what if isinstance(what, str) else await what()
    raise AssertionError(f"{said} never reached {want!r}")


@dataclass
class Berth:
    client: httpx.AsyncClient
    headers: dict[str, str]
    endpoint_id: str
    owner_dsn: str

    @property
    def imports_url(self) -> str:
        return f"/v1/endpoints/{self.endpoint_id}/imports"

    async def send(self, body: bytes | Path, **params: Any) -> httpx.Response:
        content = await asyncio.to_thread(body.read_bytes) if isinstance(body, Path) else body
        if isinstance(body, Path):
            params.setdefault("filename", body.name)
        return await self.client.post(self.imports_url, content=content, headers=self.headers,
                                      params={k: v for k, v in params.items() if v is not None})

    async def upload(self, body: bytes | Path, **params: Any) -> dict[str, Any]:
        """Upload and wait for the worker; returns the import as ``GET`` shows it."""
        sent = await self.send(body, **params)
        assert sent.status_code == 202, sent.text
        url = sent.headers["location"]
        shown: dict[str, Any] = {}

        async def state() -> str:
            nonlocal shown
            shown = (await self.client.get(url, headers=self.headers)).json()
            return str(shown["state"])

        await until(state, SETTLED, f"import {sent.json()['id']}")
        return shown

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.owner_dsn)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    async def tables(self) -> list[str]:
        rows = await self.sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        return [r[0] for r in rows]

    async def columns(self, table: str) -> dict[str, str]:
        rows = await self.sql("SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                              "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped "
                              "ORDER BY a.attnum", f"public.{table}")
        return {r[0]: r[1] for r in rows}


@pytest.fixture
async def berth(settings: Settings, catalog: asyncpg.Connection) -> AsyncIterator[Berth]:
    async with serving(settings) as app, running(settings, periodic={}):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://berth.test") as client:
            made = await client.post("/v1/signup", json={"email": "i@x.io", "password": PASSWORD,
                                                         "tenant_name": "imports"})
            assert made.status_code == 201, made.text
            headers = {"Authorization": f"Bearer {made.json()['api_key']['key']}"}
            endpoint = await client.post("/v1/endpoints", json={"name": "data"}, headers=headers)
            assert endpoint.status_code == 202, endpoint.text
            endpoint_id = endpoint.json()["id"]
            await until(lambda: catalog.fetchval(STATUS, _uuid(endpoint_id)), ("ready",),
                        lambda: catalog.fetchval(JOBS))
            row = await catalog.fetchrow(OWNER_DSN, _uuid(endpoint_id))
            sealer = Sealer.from_setting(settings.seal_keys_value)
            dsn = sealer.open(Sealed(row["seal_key_id"], row["sealed_owner_dsn"]), f"{endpoint_id}:owner")
            yield Berth(client, headers, endpoint_id, dsn)
            await client.delete(f"/v1/endpoints/{endpoint_id}", headers=headers)
            await until(lambda: catalog.fetchval(STATUS, _uuid(endpoint_id)), ("deleted",), "deletion")


def _uuid(text: str) -> Any:
    import uuid

    return uuid.UUID(text)


@pytest.fixture
def data_files() -> dict[str, Path]:
    """Real-world files from PyPI packages (vega_datasets, palmerpenguins) that nobody here wrote."""
    import palmerpenguins
    import vega_datasets

    vega = Path(vega_datasets.__file__).parent / "_data"
    penguins = Path(palmerpenguins.__file__).parent / "data"
    return {
        "penguins": penguins / "penguins.csv",
        "penguins_raw": penguins / "penguins-raw.csv",
        "seattle_weather": vega / "seattle-weather.csv",
        "airports": vega / "airports.csv",
        "cars": vega / "cars.json",
        "stocks": vega / "stocks.csv",
    }
