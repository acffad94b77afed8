"""Database round trips per read, counted on the wire, and the one-round-trip preset session path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
import pytest

from control_plane.providers.base import ProvisionedDatabase
from data_plane.tools import QueryLimits, call_tool, session_settings
from data_plane.tools.running import fetch_read
from tests.tools.conftest import LIMITS, item_rows
from tests.tools.roundtrips import Counter, counting_proxy

SQL = {"sql": "SELECT id, name FROM items WHERE id = $1", "params": [1]}
PRESET = QueryLimits(statement_timeout_ms=200, preset_session=True)


async def steady_trips(dsn: str, limits: QueryLimits, settings: Mapping[str, str] | None = None) -> int:
    """Round trips of a warm ``query`` call (asyncpg's statement cache already holds the statement)."""
    counter = Counter()
    async with counting_proxy(dsn, counter) as connect:
        conn = await asyncpg.connect(**connect, server_settings=dict(settings or {}))
        try:
            await call_tool("query", SQL, conn, limits)
            counter.trips = 0
            outcome = await call_tool("query", SQL, conn, limits)
            trips = counter.trips
        finally:
            await conn.close()
    assert outcome.result["structuredContent"]["rows"] == [[1, "apple"]]
    return trips


async def test_explicit_transaction_costs_three_round_trips(
    endpoint_db: ProvisionedDatabase, owner: asyncpg.Connection
) -> None:
    # BEGIN READ ONLY + SET LOCAL in one message, Bind/Execute, COMMIT.
    assert await steady_trips(endpoint_db.reader_dsn, LIMITS) == 3


async def test_preset_session_costs_one_round_trip(
    endpoint_db: ProvisionedDatabase, owner: asyncpg.Connection
) -> None:
    settings = session_settings(PRESET, read_only=True)
    assert await steady_trips(endpoint_db.reader_dsn, PRESET, settings) == 1


async def test_the_read_only_roles_own_default_is_enough_for_the_preset(
    endpoint_db: ProvisionedDatabase, owner: asyncpg.Connection
) -> None:
    # The local provider sets default_transaction_read_only on the reader role; the server reports it.
    assert await steady_trips(endpoint_db.reader_dsn, PRESET, {"statement_timeout": "200"}) == 1


async def test_preset_claim_without_a_read_only_session_falls_back(
    endpoint_db: ProvisionedDatabase, owner: asyncpg.Connection
) -> None:
    # The owner's session is not read-only: the claim is checked and the explicit transaction used.
    assert await steady_trips(endpoint_db.owner_dsn, PRESET) == 3


@pytest.fixture
async def preset_owner(endpoint_db: ProvisionedDatabase, owner: asyncpg.Connection) -> Any:
    """The owner role (which could write) on a preset session: only the session defaults protect the table."""
    conn = await asyncpg.connect(
        endpoint_db.owner_dsn, server_settings=session_settings(PRESET, read_only=True)
    )
    yield conn
    await conn.close()


async def test_preset_session_still_refuses_writes_and_still_times_out(
    preset_owner: asyncpg.Connection, owner: asyncpg.Connection
) -> None:
    before = await item_rows(owner)
    with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
        await fetch_read(preset_owner, "DELETE FROM items RETURNING id", (), PRESET)
    with pytest.raises(asyncpg.QueryCanceledError):
        sql = "SELECT count(*) FROM generate_series(1, 100000) a, generate_series(1, 100000) b"
        await fetch_read(preset_owner, sql, (), PRESET)
    assert await item_rows(owner) == before
    await preset_owner.execute("RESET ALL")  # what the pool runs on release; the startup values survive it
    assert await preset_owner.fetchval("SHOW statement_timeout") == "200ms"
