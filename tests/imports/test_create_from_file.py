"""``POST /v1/endpoints`` with a file (multipart), over real HTTP: one call, an endpoint holding the rows.

The control plane runs under uvicorn on loopback with a worker beside it; the
form is built here and streamed, so neither side of the test holds a large
file whole.
"""

from __future__ import annotations

import asyncio
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from control_plane.api.app import serving
from control_plane.imports.limits import max_import_bytes
from control_plane.sealing import Sealed, Sealer
from control_plane.settings import Settings
from jobs.worker import running
from tests.imports.conftest import PASSWORD, SETTLED, until
from tests.oauth.live import free_port, serve

BOUNDARY = "berth-test-boundary-7d1f"
CSV = b"id,name,joined\n1,anchor,2024-01-02\n2,buoy,2024-02-03\n3,cleat,\n"
ENDPOINTS = "SELECT count(*) FROM endpoints"


@dataclass
class Api:
    client: httpx.AsyncClient
    headers: dict[str, str]
    catalog: asyncpg.Connection
    settings: Settings

    async def create(self, fields: dict[str, str], body: AsyncIterator[bytes] | bytes, *,
                     filename: str = "gear.csv") -> httpx.Response:
        headers = {**self.headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
        return await self.client.post("/v1/endpoints", content=form(fields, body, filename), headers=headers)

    async def declared_only(self, fields: dict[str, str], length: int) -> bytes:
        """Send only the headers and the fields of a form declaring ``length`` bytes; what the server says."""
        reader, writer = await asyncio.open_connection(self.client.base_url.host, self.client.base_url.port)
        head = ["POST /v1/endpoints HTTP/1.1", f"Host: {self.client.base_url.host}",
                f"Authorization: {self.headers['Authorization']}", f"Content-Length: {length}",
                f"Content-Type: multipart/form-data; boundary={BOUNDARY}"]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        parts = [chunk async for chunk in form(fields, b"", "gear.csv")]
        writer.write(b"".join(parts[:-1]))  # up to the file's first byte, which never comes
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(4096), 30)
        writer.close()
        return answer

    async def settled(self, location: str) -> dict[str, Any]:
        shown: dict[str, Any] = {}

        async def state() -> str:
            nonlocal shown
            shown = (await self.client.get(location, headers=self.headers)).json()
            return str(shown["state"])

        await until(state, SETTLED, f"import at {location}", tries=1200)
        return shown

    async def owner(self, endpoint_id: str) -> asyncpg.Connection:
        row = await self.catalog.fetchrow("SELECT seal_key_id, sealed_owner_dsn FROM endpoints WHERE id = $1",
                                          uuid.UUID(endpoint_id))
        sealer = Sealer.from_setting(self.settings.seal_keys_value)
        return await asyncpg.connect(sealer.open(Sealed(row[0], row[1]), f"{endpoint_id}:owner"))

    def spool_files(self) -> list[Path]:
        directory = self.settings.data_dir / "imports"
        return sorted(directory.iterdir()) if directory.exists() else []


async def form(fields: dict[str, str], body: AsyncIterator[bytes] | bytes,
               filename: str) -> AsyncIterator[bytes]:
    """A multipart body streamed: the fields, then the file part from ``body``, then the closing line."""
    for name, value in fields.items():
        yield (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n').encode()
    yield (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
           "Content-Type: application/octet-stream\r\n\r\n").encode()
    if isinstance(body, bytes):
        yield body
    else:
        async for chunk in body:
            yield chunk
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


async def csv_of(size: int, *, ragged_at: int | None = None) -> AsyncIterator[bytes]:
    """About ``size`` bytes of a two-column CSV, made as it is sent; a bad row at ``ragged_at`` if given."""
    sent, row = 0, 0
    yield b"id,name\n"
    while sent < size:
        chunk = b"".join(b"%d,n%d\n" % (i, i) for i in range(row, row + 20_000))
        if ragged_at is not None and row == 0:
            chunk = chunk.replace(b"%d,n%d\n" % (ragged_at, ragged_at), b"%d,n,x\n" % ragged_at, 1)
        row += 20_000
        sent += len(chunk)
        yield chunk


@pytest.fixture
async def api(settings: Settings, catalog: asyncpg.Connection) -> AsyncIterator[Api]:
    port = free_port()
    async with serving(settings) as app, running(settings, periodic={}), serve(app, port):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            made = await client.post("/v1/signup", json={"email": "f@x.io", "password": PASSWORD,
                                                         "tenant_name": "from file"})
            assert made.status_code == 201, made.text
            headers = {"Authorization": f"Bearer {made.json()['api_key']['key']}"}
            yield Api(client, headers, catalog, settings)
            for endpoint in (await client.get("/v1/endpoints", headers=headers)).json():
                await client.delete(f"/v1/endpoints/{endpoint['id']}", headers=headers)
            await until(lambda: catalog.fetchval("SELECT count(*) FROM endpoints WHERE status <> 'deleted'"),
                        (0,), "deletion of the test's endpoints")


async def test_one_call_makes_an_active_endpoint_holding_the_rows(api: Api) -> None:
    sent = await api.create({"name": "gear", "table": "Gear"}, CSV)
    assert sent.status_code == 202, sent.text
    made = sent.json()
    assert made["name"] == "gear" and made["plan"] == "free" and made["status"] == "provisioning"
    assert made["import"]["state"] == "queued" and made["import"]["bytes_total"] == len(CSV)
    assert sent.headers["location"] == f"/v1/endpoints/{made['id']}/imports/{made['import']['id']}"
    done = await api.settled(sent.headers["location"])
    assert done["state"] == "done", done
    assert done["rows_done"] == 3 and done["tables"][0]["name"] == "gear"
    shown = (await api.client.get(f"/v1/endpoints/{made['id']}", headers=api.headers)).json()
    assert shown["status"] == "ready"
    conn = await api.owner(made["id"])
    try:
        rows = await conn.fetch("SELECT id, name, joined::text FROM gear ORDER BY id")
    finally:
        await conn.close()
    assert [tuple(r) for r in rows] == [
        (1, "anchor", "2024-01-02"), (2, "buoy", "2024-02-03"), (3, "cleat", None)]
    assert api.spool_files() == []


async def test_a_bad_file_leaves_the_endpoint_ready_and_empty_with_the_failed_import(api: Api) -> None:
    sent = await api.create({"name": "ragged"}, b"a,b\n1,2\n3,4,5\n")
    assert sent.status_code == 202, sent.text
    failed = await api.settled(sent.headers["location"])
    assert failed["state"] == "failed" and failed["errors"][0]["code"] == "ragged_row", failed
    endpoint_id = sent.json()["id"]
    await until(lambda: api.catalog.fetchval("SELECT status FROM endpoints WHERE id = $1",
                                             uuid.UUID(endpoint_id)), ("ready",), "the endpoint")
    conn = await api.owner(endpoint_id)
    try:
        assert await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 0
    finally:
        await conn.close()
    listed = (await api.client.get(f"/v1/endpoints/{endpoint_id}/imports", headers=api.headers)).json()
    assert [i["state"] for i in listed] == ["failed"]


async def test_a_file_over_the_plan_limit_is_413_and_makes_no_endpoint(api: Api) -> None:
    limit = max_import_bytes("free")
    streamed = await api.create({"name": "huge"}, csv_of(limit + 1))
    assert streamed.status_code == 413, streamed.text
    assert streamed.json()["error"]["code"] == "import_too_large"
    assert f"{limit} bytes" in streamed.json()["error"]["message"]
    declared = await api.declared_only({"name": "huge"}, limit + 10 * 1024 * 1024)
    assert declared.startswith(b"HTTP/1.1 413") and b"import_too_large" in declared, declared
    assert await api.catalog.fetchval(ENDPOINTS) == 0
    assert api.spool_files() == []


async def test_the_form_is_held_to_the_json_bodys_rules(api: Api) -> None:
    bad_name = await api.create({"name": "Not A Name"}, CSV)
    assert bad_name.status_code == 422 and bad_name.json()["error"]["code"] == "invalid_request"
    assert bad_name.json()["error"]["fields"][0]["field"] == "name"
    higher = await api.create({"name": "gear", "plan": "scale"}, CSV)
    assert higher.status_code == 403 and higher.json()["error"]["code"] == "plan_not_allowed"
    unknown = await api.create({"name": "gear"}, CSV, filename="gear.bin")
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_format"
    stray = await api.create({"name": "gear", "colour": "red"}, CSV)
    assert stray.status_code == 422 and stray.json()["error"]["fields"][0]["field"] == "colour"
    unfinished = b'--x\r\nContent-Disposition: form-data; name="name"'
    cut = await api.client.post("/v1/endpoints", content=unfinished,
                                headers={**api.headers, "Content-Type": "multipart/form-data; boundary=x"})
    assert cut.status_code == 400 and cut.json()["error"]["code"] == "bad_request"
    assert await api.catalog.fetchval(ENDPOINTS) == 0
    assert api.spool_files() == []
    json_body = await api.client.post("/v1/endpoints", json={"name": "plain"}, headers=api.headers)
    assert json_body.status_code == 202 and "import" not in json_body.json()
    assert json_body.headers["location"] == f"/v1/endpoints/{json_body.json()['id']}"


async def test_an_idempotent_retry_replays_the_endpoint_and_its_import(api: Api) -> None:
    key = {"Idempotency-Key": "make-gear-once"}
    api.headers.update(key)
    first = await api.create({"name": "gear"}, CSV)
    again = await api.create({"name": "gear"}, CSV)
    assert first.status_code == again.status_code == 202, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["import"]["id"] == first.json()["import"]["id"]
    plain = await api.client.post("/v1/endpoints", json={"name": "gear"}, headers=api.headers)
    assert plain.status_code == 409 and plain.json()["error"]["code"] == "idempotency_mismatch"
    await api.settled(first.headers["location"])
    assert await api.catalog.fetchval(ENDPOINTS) == 1
    assert await api.catalog.fetchval("SELECT count(*) FROM imports") == 1


async def test_a_100_mb_file_never_sits_in_memory(api: Api) -> None:
    size = 100 * 1000 * 1000
    tracemalloc.start()
    try:
        sent = await api.create({"name": "big"}, csv_of(size, ragged_at=2))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sent.status_code == 202, sent.text
    assert sent.json()["import"]["bytes_total"] > size
    # The client, uvicorn, the form reader and the spool together: a few chunks, never the file.
    assert peak < 16 * 1024 * 1024, peak
    failed = await api.settled(sent.headers["location"])
    assert failed["errors"][0]["code"] == "ragged_row"
