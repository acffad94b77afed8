"""Tool calls leave audit rows and last-use stamps, written off the request path in bounded batches."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg
import httpx
import orjson

from control_plane.errors import Unavailable
from data_plane.app import Gateway
from data_plane.audit import AuditBuffer
from data_plane.catalog import AuditRow
from tests.gateway import rpc
from tests.gateway.conftest import IssueToken, MakeEndpoint, bearer


async def test_calls_are_audited_by_digest_never_by_text(
    gateway: Gateway, http: httpx.AsyncClient, make_endpoint: MakeEndpoint, issue_token: IssueToken,
    catalog: asyncpg.Connection,
) -> None:
    endpoint = await make_endpoint()
    reader = await issue_token(endpoint)
    secret_sql = {"sql": "SELECT 'hunter2' AS password"}
    for tool, arguments in (("query", secret_sql), ("query", {"sql": "SELEC oops"}),
                            ("execute", {"sql": "DELETE FROM items"})):
        await http.post(endpoint.path, json=rpc.call(tool, arguments), headers=bearer(reader))
    await gateway.resources.audit.flush()  # the timer may have written some already
    rows = await catalog.fetch("SELECT * FROM audit_log WHERE endpoint_id = $1 AND action = 'tool.call' "
                               "ORDER BY id", endpoint.id)
    outcomes = [(r["tool"], r["outcome"]) for r in rows]
    assert outcomes == [("query", "ok"), ("query", "error"), ("execute", "denied")]
    first = rows[0]
    canonical = orjson.dumps(secret_sql, option=orjson.OPT_SORT_KEYS)
    assert first["args_digest"] == hashlib.sha256(canonical).hexdigest()
    assert first["tenant_id"] == endpoint.tenant_id and first["actor"] == f"token:{first['token_id']}"
    assert first["row_count"] == 1 and first["duration_ms"] >= 0
    assert "hunter2" not in str([dict(r) for r in rows])
    used = await catalog.fetchval("SELECT last_used_at FROM endpoint_tokens WHERE id = $1", first["token_id"])
    assert used is not None


async def test_the_buffer_is_bounded_and_keeps_rows_while_the_catalog_is_down() -> None:
    written: list[AuditRow] = []
    down = [True]

    async def write(rows: Sequence[AuditRow]) -> None:
        if down[0]:
            raise Unavailable("catalog down")
        written.extend(rows)

    async def stamp(stamps: dict[uuid.UUID, datetime]) -> None:
        return None

    buffer = AuditBuffer(write, stamp, capacity=3)
    rows = [AuditRow(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), f"t{i}", "ok", "d", 1.0, 0, datetime.now(UTC))
            for i in range(5)]
    for row in rows:
        buffer.record(row)
    assert "unreachable" in await buffer.flush()
    assert (len(buffer), buffer.dropped) == (3, 2)
    down[0] = False
    await buffer.flush()
    assert [r.tool for r in written] == ["t2", "t3", "t4"] and len(buffer) == 0
