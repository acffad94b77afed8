"""Bad input ends the import failed, says what and where, and leaves the endpoint as it was."""

from __future__ import annotations

import pytest

from tests.imports.conftest import Berth

CASES = [
    ("ragged", b"a,b\n1,2\n3,4,5\n", {}, "ragged_row", 3),
    ("unterminated", b'a,b\n1,"open\n2,3\n', {}, "unterminated_quote", 3),
    ("invalid_utf8", b"name\ncaf\xe9\n", {"encoding": "utf-8"}, "invalid_encoding", None),
    ("header_only", b"a,b,c\n", {}, "no_rows", None),
    ("empty", b"", {}, "empty_file", None),
    ("blank", b"\n\n  \n", {}, "empty_file", None),
    ("too_wide", (",".join(f"c{i}" for i in range(1601)) + "\n" + ",".join("1" * 1601) + "\n").encode(),
     {}, "too_many_columns", 1),
]


@pytest.mark.parametrize(("name", "body", "params", "code", "line"), CASES, ids=[c[0] for c in CASES])
async def test_bad_csv_fails_with_where_and_leaves_nothing(berth: Berth, name: str, body: bytes,
                                                          params: dict[str, str], code: str,
                                                          line: int | None) -> None:
    result = await berth.upload(body, table=name, format="csv", **params)
    assert result["state"] == "failed"
    assert result["errors"][0]["code"] == code, result["errors"]
    assert result["errors"][0]["line"] == line
    assert result["rows_done"] == 0
    assert await berth.tables() == []


@pytest.mark.parametrize(("fmt", "body", "code"), [
    ("json", b'{"a": 1}', "not_an_array"),
    ("json", b'[{"a": 1}, 2]', "not_an_object"),
    ("json", b'[{"a": 1}, {"a": ', "malformed_json"),
    ("ndjson", b'{"a": 1}\n[1]\n', "not_an_object"),
    ("json", b"[]", "no_rows"),
])
async def test_json_that_is_not_an_array_of_objects_fails(berth: Berth, fmt: str, body: bytes,
                                                          code: str) -> None:
    result = await berth.upload(body, table="docs", format=fmt)
    assert result["state"] == "failed"
    assert result["errors"][0]["code"] == code, result["errors"]
    assert await berth.tables() == []


async def test_a_late_bad_row_rolls_back_the_whole_load(berth: Berth) -> None:
    """A fault far into the file: what was already copied is not kept."""
    body = b"n,m\n" + b"".join(f"{i},x\n".encode() for i in range(20_000)) + b"1,2,3\n"
    result = await berth.upload(body, table="late", format="csv")
    assert result["state"] == "failed" and result["errors"][0]["line"] == 20_002
    assert await berth.tables() == []
