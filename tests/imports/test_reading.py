"""Reading files without a database: encodings, delimiters, header detection, inference from every value."""

from __future__ import annotations

from pathlib import Path

import pytest

from control_plane.errors import BadImport
from control_plane.imports.formats.base import NULL_MARKERS
from control_plane.imports.formats.delimited import DelimitedSource
from control_plane.imports.inference import Stats, resolve
from control_plane.imports.names import column_names

TEXT = "name;price;when\ncafé;2,5;x\nœuvre;3;y\n"


def scanned(path: Path, **kw: object) -> tuple[DelimitedSource, list[str], list[str], list[list[str | None]]]:
    options: dict[str, object] = {"name": None, "delimiter": None, "encoding": None, "header": None,
                                  "null_markers": NULL_MARKERS, **kw}
    source = DelimitedSource(path, **options)  # type: ignore[arg-type]
    shape = source.scan()
    return source, shape.headers, [resolve(s) for s in shape.stats], list(source.rows(shape))


@pytest.mark.parametrize(("encoding", "prefix", "found"), [
    ("utf-8", b"", "utf-8"), ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"), ("utf-16", b"", "utf-16"),
    ("utf-16-le", b"", "utf-16-le"), ("cp1252", b"", "cp1252"),
])
def test_encodings_are_detected(tmp_path: Path, encoding: str, prefix: bytes, found: str) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(prefix + TEXT.encode(encoding))
    source, headers, _, rows = scanned(path)
    assert source.encoding == found
    assert headers == ["name", "price", "when"]
    assert rows[0][0] == "café" and rows[1][0] == "œuvre"


def test_latin1_when_cp1252_cannot_decode(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"a\nx\x81y\n")
    source, _, _, rows = scanned(path)
    assert source.encoding == "latin-1" and rows == [["x\x81y"]]


def test_a_declared_encoding_is_held_to(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(TEXT.encode("cp1252"))
    with pytest.raises(BadImport) as caught:
        scanned(path, encoding="utf-8")
    assert caught.value.code == "invalid_encoding"


@pytest.mark.parametrize("delimiter", [",", "\t", ";", "|"])
def test_delimiters_are_detected(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "f.csv"
    path.write_text(f'a{delimiter}b{delimiter}c\n1{delimiter}"x{delimiter}y"{delimiter}3\n4{delimiter}z{delimiter}6\n')
    _, headers, types, rows = scanned(path)
    assert headers == ["a", "b", "c"] and types == ["smallint", "text", "smallint"]
    assert rows[0] == ["1", f"x{delimiter}y", "3"]


def test_a_first_row_that_fits_the_types_is_data(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("1,2020-01-01\n2,2020-01-02\n")
    _, headers, types, rows = scanned(path)
    assert column_names(headers) == ["column_1", "column_2"]
    assert types == ["smallint", "date"] and len(rows) == 2


def test_quoted_newlines_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b'id,note\r\n1,"two\r\nlines"\r\n2,"say ""hi"""\r\n')
    _, _, types, rows = scanned(path)
    assert types == ["smallint", "text"]
    assert rows == [["1", "two\r\nlines"], ["2", 'say "hi"']]


def test_one_huge_line_fails_instead_of_filling_memory(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    with path.open("w") as f:
        f.write("a,b\n")
        f.write("x" * (17 * 1024 * 1024))
    with pytest.raises(BadImport) as caught:
        scanned(path)
    assert caught.value.code == "line_too_long"


def infer(values: list[str | None]) -> str:
    stats = Stats()
    for value in values:
        stats.observe(value)
    return resolve(stats)


@pytest.mark.parametrize(("values", "expected"), [
    (["true", "False", "yes", "NO", "t"], "boolean"),
    (["1", "-32768", "32767"], "smallint"),
    (["1", "40000"], "integer"),
    (["1", "3000000000"], "bigint"),
    (["1", "99999999999999999999"], "numeric(20,0)"),
    (["1.50", "-20.125"], "numeric(5,3)"),
    (["1.5", "2e10", "NaN"], "double precision"),
    (["2024-02-29", "2024/03/01"], "date"),
    (["2024-02-30"], "text"),
    (["2024-01-01 10:00:00", "2024-01-02T11:30", "2024-01-03"], "timestamp"),
    (["2024-01-01T10:00:00Z", "2024-01-01 10:00:00+05:30"], "timestamptz"),
    (["2024-01-01T10:00:00Z", "2024-01-01 10:00:00"], "text"),
    (["10:00", "23:59:59.5"], "time"),
    (["6f1c4a8e-3b1d-4c5e-9f0a-1b2c3d4e5f60"], "uuid"),
    (['{"a": [1, 2]}', "[1, 2]"], "jsonb"),
    (["007", "12"], "text"),
    ([None, None], "text"),
])
def test_types(values: list[str | None], expected: str) -> None:
    assert infer(values) == expected


def test_the_last_value_counts_as_much_as_the_first() -> None:
    values: list[str | None] = [str(i) for i in range(100_000)] + ["n/a yet"]
    assert infer(values) == "text"
    assert infer(values[:-1]) == "integer"


def test_names() -> None:
    assert column_names(["Name", "name", "", "select", "2nd Place", "Prix (€)", "x" * 80]) == [
        "name", "name_2", "column_3", "select_", "c_2nd_place", "prix", "x" * 63]
