"""The plan's rows per import and tables per endpoint: over either, the import fails naming the limit
and the endpoint is left exactly as it was."""

from __future__ import annotations

from control_plane.imports.limits import MAX_IMPORT_ROWS, MAX_TABLES
from tests.imports.conftest import Berth

FREE_ROWS = MAX_IMPORT_ROWS["free"]
FREE_TABLES = MAX_TABLES["free"]


def script_of_tables(count: int, prefix: str) -> bytes:
    return "".join(f"CREATE TABLE {prefix}_{i} (n integer);\n" for i in range(count)).encode()


async def test_a_file_over_the_rows_per_import_fails_before_anything_is_loaded(berth: Berth) -> None:
    body = b"n\n" + b"".join(b"%d\n" % i for i in range(FREE_ROWS + 1))
    failed = await berth.upload(body, table="numbers", format="csv")
    assert failed["state"] == "failed", failed
    error = failed["errors"][0]
    assert error["code"] == "too_many_rows" and f"{FREE_ROWS:,} rows per import" in error["message"]
    assert await berth.tables() == []


async def test_a_script_over_the_rows_per_import_is_rolled_back(berth: Berth) -> None:
    script = f"CREATE TABLE made (n integer);\nINSERT INTO made SELECT generate_series(1, {FREE_ROWS + 1});\n"
    failed = await berth.upload(script.encode(), format="sql")
    assert failed["state"] == "failed" and failed["errors"][0]["code"] == "too_many_rows", failed
    assert await berth.tables() == []
    exactly = await berth.upload(script.replace(str(FREE_ROWS + 1), str(FREE_ROWS)).encode(), format="sql")
    assert exactly["state"] == "done" and exactly["rows_done"] == FREE_ROWS, exactly


async def test_an_import_over_the_tables_per_endpoint_leaves_the_endpoint_as_it_was(berth: Berth) -> None:
    too_many = await berth.upload(script_of_tables(FREE_TABLES + 1, "t"), format="sql")
    assert too_many["state"] == "failed", too_many
    error = too_many["errors"][0]
    assert error["code"] == "too_many_tables" and f"limit of {FREE_TABLES} tables" in error["message"]
    assert await berth.tables() == []
    filled = await berth.upload(script_of_tables(FREE_TABLES, "t"), format="sql")
    assert filled["state"] == "done", filled
    one_more = await berth.upload(b"a,b\n1,2\n", table="extra", format="csv")
    assert one_more["state"] == "failed" and one_more["errors"][0]["code"] == "too_many_tables"
    assert len(await berth.tables()) == FREE_TABLES and "extra" not in await berth.tables()
    replaced = await berth.upload(b"n\n7\n", table="t_0", format="csv", mode="replace")
    assert replaced["state"] == "done", replaced  # a replacement adds no table
    assert (await berth.sql("SELECT n FROM t_0"))[0][0] == 7
