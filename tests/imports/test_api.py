"""Through the API end to end: upload, the worker loads, rows are queryable; listing, limits, isolation."""

from __future__ import annotations

import asyncpg

from control_plane.imports.limits import max_import_bytes
from tests.imports.conftest import Berth

CSV = b"id,name,joined\n1,anchor,2024-01-02\n2,buoy,2024-02-03\n3,cleat,\n"


async def test_upload_loads_rows_the_endpoint_can_query(berth: Berth, catalog: asyncpg.Connection) -> None:
    sent = await berth.send(CSV, table="Gear", format="csv")
    assert sent.status_code == 202, sent.text
    assert sent.headers["location"] == f"{berth.imports_url}/{sent.json()['id']}"
    assert sent.json()["state"] in ("queued", "loading", "done")
    done = await berth.upload(CSV, table="crew", format="csv")
    assert done["state"] == "done", done
    assert done["rows_done"] == 3 and done["bytes_done"] == done["bytes_total"] == len(CSV)
    assert done["tables"][0]["columns"] == [
        {"name": "id", "type": "smallint", "source": "id"},
        {"name": "name", "type": "text", "source": "name"},
        {"name": "joined", "type": "date", "source": "joined"},
    ]
    rows = await berth.sql("SELECT id, name, joined::text FROM crew ORDER BY id")
    assert [tuple(r) for r in rows] == [
        (1, "anchor", "2024-01-02"), (2, "buoy", "2024-02-03"), (3, "cleat", None)]
    assert set(await berth.tables()) == {"gear", "crew"}
    listed = (await berth.client.get(berth.imports_url, headers=berth.headers)).json()
    assert len(listed) == 2
    audit = await catalog.fetch("SELECT outcome, detail FROM audit_log WHERE action = 'endpoint.import'")
    details = [r["detail"] for r in audit]
    assert {"format": "csv", "mode": "create", "bytes": len(CSV), "rows": 3,
            "tables": [{"name": "crew", "rows": 3}]} in [_decoded(d) for d in details]
    assert all("anchor" not in str(d) for d in details)


async def test_row_estimates_are_right_at_once(berth: Berth) -> None:
    body = b"n\n" + b"".join(f"{i}\n".encode() for i in range(500))
    assert (await berth.upload(body, table="numbers", format="csv"))["state"] == "done"
    rows = await berth.sql("SELECT reltuples FROM pg_class WHERE oid = 'public.numbers'::regclass")
    assert rows[0][0] == 500


async def test_a_declared_size_over_the_plan_limit_is_413(berth: Berth) -> None:
    too_big = max_import_bytes("free") + 1

    async def body():  # type: ignore[no-untyped-def]
        yield b"a,b\n"

    sent = await berth.client.post(berth.imports_url, content=body(), params={"format": "csv"},
                                   headers={**berth.headers, "Content-Length": str(too_big)})
    assert sent.status_code == 413, sent.text
    assert sent.json()["error"]["code"] == "import_too_large"
    assert str(max_import_bytes("free")) in sent.json()["error"]["message"]


async def test_unknown_format_and_mode_are_refused(berth: Berth) -> None:
    assert (await berth.send(CSV)).json()["error"]["code"] == "unknown_format"
    refused = await berth.send(CSV, format="csv", mode="merge")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_request"
    nul = await berth.send(CSV, format="csv", table="a\x00b")
    assert nul.status_code == 422


async def test_another_tenants_endpoint_is_not_found(berth: Berth) -> None:
    signup = {"email": "o@x.io", "password": "correct horse battery", "tenant_name": "other"}
    other = await berth.client.post("/v1/signup", json=signup)
    headers = {"Authorization": f"Bearer {other.json()['api_key']['key']}"}
    sent = await berth.client.post(berth.imports_url, content=CSV, params={"format": "csv"}, headers=headers)
    assert sent.status_code == 404
    assert (await berth.client.get(berth.imports_url, headers=headers)).status_code == 404


def _decoded(detail: object) -> object:
    import json

    return json.loads(detail) if isinstance(detail, str) else detail
