"""Through the gateway, each published escape from read-only comes back as isError and changes nothing."""

from __future__ import annotations

import time

import httpx

from tests.gateway import rpc
from tests.gateway.conftest import IssueToken, MakeEndpoint, bearer

ESCAPES = [
    "BEGIN READ ONLY; COMMIT; INSERT INTO items VALUES (9, 'x')",
    "WITH d AS (DELETE FROM items RETURNING *) SELECT * FROM d",
    "SELECT 1; INSERT INTO items VALUES (9, 'x')",
    "SELECT set_config('default_transaction_read_only', 'off', false)",
    "COPY items TO PROGRAM 'true'",
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT lo_import('/etc/passwd')",
    "SELECT pg_sleep(600)",
]


async def test_read_only_escapes_are_refused_and_leave_the_table_unchanged(
    http: httpx.AsyncClient, make_endpoint: MakeEndpoint, issue_token: IssueToken,
) -> None:
    endpoint = await make_endpoint("pro")  # more calls in a second than the free burst allows
    reader = await issue_token(endpoint)
    started = time.monotonic()
    for sql in ESCAPES:
        body = rpc.call("query", {"sql": sql})
        response = await http.post(endpoint.path, json=body, headers=bearer(reader))
        assert response.status_code == 200, sql
        assert response.json()["result"]["isError"] is True, sql
    assert time.monotonic() - started < 10  # pg_sleep(600) ended at the timeout, or never ran
    assert await rpc.item_count(http, endpoint.path, reader) == 3
