"""Per-endpoint pools: opened once for many waiting calls, capped in number and connections, closed on cue."""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from control_plane.errors import Unauthorized, Unavailable
from control_plane.sealing import Sealer
from data_plane.auth import Grant
from data_plane.pools import PoolLimits, Pools, connector


class Counting:
    """The real connector, counting how often it was asked to open a pool."""

    def __init__(self) -> None:
        self.opened = 0
        self._connect = connector(1000, 60.0)

    async def __call__(self, dsn: str, max_size: int, read_only: bool) -> asyncpg.Pool:
        self.opened += 1
        return await self._connect(dsn, max_size, read_only)


@pytest.fixture
def sealer() -> Sealer:
    return Sealer.from_setting("k1:" + base64.b64encode(secrets.token_bytes(32)).decode())


def grant(sealer: Sealer, dsn: str, *, write: bool = False) -> Grant:
    endpoint_id = uuid.uuid4()
    return Grant(uuid.uuid4(), uuid.uuid4(), endpoint_id, "shop", "free", write,
                 sealer.seal_dsn(dsn, endpoint_id, "owner"), sealer.seal_dsn(dsn, endpoint_id, "reader"),
                 time.time())


@pytest.fixture
async def pools_factory(sealer: Sealer) -> AsyncIterator[list[Pools]]:
    made: list[Pools] = []
    yield made
    for pools in made:
        await pools.aclose()


async def test_concurrent_first_calls_open_one_pool(
    sealer: Sealer, server_url: str, pools_factory: list[Pools],
) -> None:
    connect = Counting()
    pools = Pools(sealer, PoolLimits(max_size=2), connect=connect)
    pools_factory.append(pools)
    g = grant(sealer, server_url)
    opened = await asyncio.gather(*(pools.get(g) for _ in range(8)))
    assert connect.opened == 1 and len({id(p) for p in opened}) == 1
    assert await opened[0].fetchval("SHOW default_transaction_read_only") == "on"
    assert await opened[0].fetchval("SHOW statement_timeout") == "1s"


async def test_lru_cap_and_connection_budget_close_the_least_recent(
    sealer: Sealer, server_url: str, pools_factory: list[Pools],
) -> None:
    connect = Counting()
    pools = Pools(sealer, PoolLimits(max_size=2, max_pools=10, connection_budget=4), connect=connect)
    pools_factory.append(pools)
    a, b, c = (grant(sealer, server_url) for _ in range(3))
    first = await pools.get(a)
    await pools.get(b)
    await pools.get(a)  # a is now the most recent
    await pools.get(c)  # budget 4 = two pools of 2: b goes
    assert len(pools) == 2
    assert await pools.get(a) is first and connect.opened == 3
    await pools.get(b)
    assert connect.opened == 4 and len(pools) == 2


async def test_invalidation_and_idleness_close_pools(
    sealer: Sealer, server_url: str, pools_factory: list[Pools],
) -> None:
    now = [0.0]
    pools = Pools(sealer, PoolLimits(max_size=1, idle_seconds=10), connect=Counting(), clock=lambda: now[0])
    pools_factory.append(pools)
    read, other = grant(sealer, server_url), grant(sealer, server_url)
    write = Grant(read.token_id, read.tenant_id, read.endpoint_id, "shop", "free", True,
                  read.owner_dsn, read.reader_dsn, read.seen_at)
    pool = await pools.get(read)
    await pools.get(write)
    await pools.get(other)
    assert pools.close_endpoint(read.endpoint_id) == 2 and len(pools) == 1
    with pytest.raises(Unauthorized):  # a call that was authorised before the close cannot reopen
        await pools.get(read)
    await asyncio.sleep(0.05)
    assert pool.is_closing()
    now[0] = 5.0
    assert pools.reap() == 0
    now[0] = 11.0
    assert pools.reap() == 1 and len(pools) == 0


async def test_an_unreachable_database_is_unavailable_after_brief_retries(
    sealer: Sealer, pools_factory: list[Pools],
) -> None:
    connect = Counting()
    pools = Pools(sealer, PoolLimits(), connect=connect)
    pools_factory.append(pools)
    with pytest.raises(Unavailable):
        await pools.get(grant(sealer, "postgresql://nobody@127.0.0.1:1/none"))
    assert connect.opened == 4


async def test_a_read_pool_skips_the_reset_only_when_nothing_is_left_to_reset(server_url: str) -> None:
    """Released as opened: no reset query (a session-level mark survives). Read-only switched off: the
    full reset runs (the mark is gone, read-only is back on). A transaction left open is rolled back."""
    pool = await connector(1000, 60.0)(server_url, 1, True)
    try:
        async with pool.acquire() as conn:
            await conn.execute("SELECT set_config('berth.mark', 'kept', false)")
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT current_setting('berth.mark', true)") == "kept"
            await conn.execute("SET default_transaction_read_only = off")
        async with pool.acquire() as conn:
            assert conn.get_settings().default_transaction_read_only == "on"
            assert await conn.fetchval("SELECT current_setting('berth.mark', true)") in ("", None)
            await conn.execute("BEGIN")
            await conn.execute("SELECT set_config('berth.mark', 'again', false)")
        async with pool.acquire() as conn:
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SELECT current_setting('berth.mark', true)") in ("", None)
    finally:
        await pool.close()


async def test_a_write_pool_always_resets(server_url: str) -> None:
    pool = await connector(1000, 60.0)(server_url, 1, False)
    try:
        async with pool.acquire() as conn:
            await conn.execute("SELECT set_config('berth.mark', 'kept', false)")
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT current_setting('berth.mark', true)") in ("", None)
    finally:
        await pool.close()
