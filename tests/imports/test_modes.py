"""create, replace and append: existing tables, swaps under concurrent readers, type checks on append."""

from __future__ import annotations

import asyncio

import asyncpg

from tests.imports.conftest import Berth

FIRST = b"id,name\n1,anchor\n2,buoy\n"
SECOND = b"id,name\n10,keel\n11,mast\n12,sail\n"


async def test_create_refuses_an_existing_table(berth: Berth) -> None:
    assert (await berth.upload(FIRST, table="gear", format="csv"))["state"] == "done"
    again = await berth.upload(SECOND, table="gear", format="csv")
    assert again["state"] == "failed" and again["errors"][0]["code"] == "table_exists"
    assert [r[0] for r in await berth.sql("SELECT id FROM gear ORDER BY id")] == [1, 2]


async def test_replace_swaps_the_table(berth: Berth) -> None:
    await berth.upload(FIRST, table="gear", format="csv")
    swapped = await berth.upload(SECOND, table="gear", format="csv", mode="replace")
    assert swapped["state"] == "done", swapped
    assert [r[0] for r in await berth.sql("SELECT id FROM gear ORDER BY id")] == [10, 11, 12]
    assert await berth.tables() == ["gear"]


async def test_a_reader_never_sees_an_empty_or_missing_table_during_replace(berth: Berth) -> None:
    big = b"id,name\n" + b"".join(f"{i},row {i}\n".encode() for i in range(30_000))
    await berth.upload(FIRST, table="gear", format="csv")
    seen: list[int] = []
    stop = asyncio.Event()

    async def read() -> None:
        conn = await asyncpg.connect(berth.owner_dsn)
        try:
            while not stop.is_set():
                seen.append(await conn.fetchval("SELECT count(*) FROM gear"))
        finally:
            await conn.close()

    reader = asyncio.create_task(read())
    for _ in range(2):
        assert (await berth.upload(big, table="gear", format="csv", mode="replace"))["state"] == "done"
    stop.set()
    await reader
    assert set(seen) <= {2, 30_000} and 30_000 in seen and len(seen) > 10


async def test_append_matches_columns_by_name(berth: Berth) -> None:
    await berth.upload(FIRST, table="gear", format="csv")
    added = await berth.upload(b"name,id\nrope,3\n", table="gear", format="csv", mode="append")
    assert added["state"] == "done", added
    assert [tuple(r) for r in await berth.sql("SELECT id, name FROM gear ORDER BY id")] == [
        (1, "anchor"), (2, "buoy"), (3, "rope")]


async def test_append_of_values_that_do_not_fit_fails_and_changes_nothing(berth: Berth) -> None:
    await berth.upload(FIRST, table="gear", format="csv")
    wrong = await berth.upload(b"id,name\n3,rope\nfour,net\n", table="gear", format="csv", mode="append")
    assert wrong["state"] == "failed"
    assert wrong["errors"][0]["code"] == "type_mismatch" and wrong["errors"][0]["column"] == "id"
    unknown = await berth.upload(b"id,colour\n3,red\n", table="gear", format="csv", mode="append")
    assert unknown["errors"][0]["code"] == "unknown_column"
    missing = await berth.upload(FIRST, table="nothing", format="csv", mode="append")
    assert missing["errors"][0]["code"] == "no_such_table"
    assert [r[0] for r in await berth.sql("SELECT id FROM gear ORDER BY id")] == [1, 2]


async def test_a_failed_replace_leaves_the_old_table(berth: Berth) -> None:
    await berth.upload(FIRST, table="gear", format="csv")
    broken = await berth.upload(b'id,name\n5,"open\n', table="gear", format="csv", mode="replace")
    assert broken["state"] == "failed"
    assert [tuple(r) for r in await berth.sql("SELECT id, name FROM gear ORDER BY id")] == [
        (1, "anchor"), (2, "buoy")]
    assert await berth.tables() == ["gear"]


async def test_numeric_overflow_on_append_is_refused_by_the_database(berth: Berth) -> None:
    await berth.upload(b"price\n1.5\n2.25\n", table="prices", format="csv")
    assert (await berth.columns("prices")) == {"price": "numeric(3,2)"}
    over = await berth.upload(b"price\n12345.5\n", table="prices", format="csv", mode="append")
    assert over["state"] == "failed" and over["errors"][0]["code"] == "rows_refused"
    assert [r[0] for r in await berth.sql("SELECT count(*) FROM prices")] == [2]
