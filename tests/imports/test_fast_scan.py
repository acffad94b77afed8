"""The fast CSV scan (Arrow's reader and kernels) against the exact one, on files made to tell them apart.

Each file is scanned both ways: ``scan`` (the fast path wherever it applies)
and the row-by-row batches it falls back to. They must settle the same
header, rows, types and statistics, and agree on whether Postgres may read
the file as written; a file the fast path must not read goes to the exact one.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from control_plane.imports import vector
from control_plane.imports.formats import arrow_csv
from control_plane.imports.formats.base import NULL_MARKERS, Shape
from control_plane.imports.formats.delimited import DelimitedSource
from control_plane.imports.inference import resolve

FAMILIES = {
    "integers": ["0", "7", "-12", "32767", "32768", "-2147483649", "9223372036854775807", "123456"],
    "decimals": ["0.5", ".25", "5.", "-0.50", "12345.678", "3", "-7"],
    "doubles": ["1e5", "2.5E-3", "inf", "-Infinity", "NaN", "0.1", "42"],
    "booleans": ["true", "F", "yes", "No", "tRuE", "t", "FALSE"],
    "dates": ["2020-01-31", "1999-12-01", "2024-02-29"],
    "slashed": ["2020/01/31", "1999/12/01"],
    "stamps": ["2020-01-01 10:00", "2020-01-01T23:59:59.123456", "2021-06-30T00:00:00"],
    "zoned": ["2020-01-01T10:00:00Z", "2020-01-01 10:00+05", "2020-01-01T10:00:00.5-0330",
              "2020-01-01T10:00+05:30"],
    "times": ["10:00", "23:59:59", "00:00:00.25"],
    "uuids": ["0f8fad5b-d9cb-469f-a165-70867728950e", "7C9E6679-7425-40DE-944B-E07FC1F90AE7"],
    "text": ["plain", "café au lait", "x y", "007"],
}
# Each breaks a family's type, its spelling as Postgres reads it, or the fast checks' assumptions.
ODD = ["007", "+5", "99999999999999999999", " 5", "5 ", "1;5", "İnf", "ınf", "yeſ", "2020-02-30",
       "2020-13-01",
       "2020-01-01 24:00", "2020-01-01T23:59:60", "2020-01-01T10:00+24", "2020-01-01T10:00+05:60", "24:00",
       "10:61", "1e", "-nan", "+inf", "{}", "[1]", "abc", "T\u00a0", "\u3000null", " NA ", "None",
       "N/A", "-", "", "NULL", "x\\.y", "0x1F", "1_000", "１２"]


def _scan_both(path: Path) -> tuple[Shape, Shape]:
    """The fast scan (which must take the file) and the exact one, of a UTF-8 file."""
    fast, exact = (DelimitedSource(path, name=None, delimiter=None, encoding="utf-8", header=None,
                                   null_markers=NULL_MARKERS) for _ in range(2))
    shape = fast._scan_arrow()
    assert shape is not None, "the fast scan refused the file"
    return shape, exact._scan_batches()


def _settled(shape: Shape) -> dict[str, object]:
    """What a scan settles, by aspect: header, rows, types, each column's statistics, reading as written."""
    written = shape.as_written and (shape.as_written.delimiter, shape.as_written.null)
    return {"shape": (shape.headers, shape.header, shape.rows), "types": [resolve(s) for s in shape.stats],
            **{f"column {i}": (s.kinds, s.seen, s.nulls, s.low, s.high, s.int_digits, s.scale)
               for i, s in enumerate(shape.stats)},
            "as written": (shape.as_written is None, written)}


def _disagreements(fast: Shape, exact: Shape) -> list[str]:
    """The aspects the two scans settled differently, each with both values."""
    mine, theirs = _settled(fast), _settled(exact)
    return [f"{key}: {mine.get(key)} != {theirs.get(key)}" for key in theirs if mine.get(key) != theirs[key]]


def _write(path: Path, rng: random.Random, rows: int, odd: float, newline: str = "\n") -> None:
    families = rng.sample(sorted(FAMILIES), 6)
    lines = [",".join(f"c_{f}" for f in families)]
    for _ in range(rows):
        cells = [rng.choice(ODD) if rng.random() < odd else rng.choice(FAMILIES[f]) for f in families]
        lines.append(",".join(cells))
    path.write_text(newline.join(lines) + newline, encoding="utf-8", newline="")


@pytest.mark.parametrize("seed", range(12))
def test_the_fast_scan_settles_what_the_exact_scan_does(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    path = tmp_path / "f.csv"
    # Over a megabyte, so the fast read's blocks and the exact read's batches break in different places.
    _write(path, rng, rows=40_000, odd=rng.choice([0.0, 0.00005, 0.001, 0.05]))
    assert _disagreements(*_scan_both(path)) == []


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_odd_value_alone_in_each_family_settles_alike(tmp_path: Path, family: str) -> None:
    """One odd value among a family's spellings: where a fast check that admits too much would show."""
    for number, odd in enumerate(ODD):
        path = tmp_path / f"{number}.csv"
        values = [FAMILIES[family][n % len(FAMILIES[family])] for n in range(3_000)]
        values[1_234] = odd
        path.write_text("n,v\n" + "".join(f"{n},{v}\n" for n, v in enumerate(values)), encoding="utf-8")
        assert _disagreements(*_scan_both(path)) == [], odd


def test_one_odd_value_deep_in_the_file_changes_the_type_both_ways(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    rows = [f"{n},{n / 4},2020-01-0{n % 9 + 1}" for n in range(60_000)]
    rows[51_234] = "51234,1e400,2020-01-01T10:00:00"
    path.write_text("id,share,day\n" + "\n".join(rows) + "\n")
    fast, exact = _scan_both(path)
    assert _disagreements(fast, exact) == []
    assert [resolve(s) for s in fast.stats] == ["integer", "double precision", "timestamp"]


def test_crlf_lines_are_read_the_fast_way_alike(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    _write(path, random.Random(99), rows=2_000, odd=0.01, newline="\r\n")
    assert _disagreements(*_scan_both(path)) == []


@pytest.mark.parametrize("body", [
    b'a,b\n1,"2"\n',        # a quote: Arrow would read it otherwise, so only the exact read may
    b"a,b\n1,2\r3,4\n",      # a lone carriage return
    b"a,b\n1,2\n\n3,4\n",    # a blank line
    b"a,b\r\n1,2\r\n\r\n3,4\r\n",  # a blank line, CRLF
    b"\na,b\n1,2\n",          # a blank line first
    b"a,b\n1,2\n3\n",        # a ragged row
    b"a,b\n1,\x002\n",       # a NUL
    b"a,b\n1,\xff\n",        # not UTF-8
])
def test_files_the_fast_read_cannot_trust_are_refused_to_it(tmp_path: Path, body: bytes) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(body)
    with pytest.raises(arrow_csv.Unfit), arrow_csv.Plain(path) as raw:
        with arrow_csv.batches(raw, ",", 2) as batches:
            list(batches)


def test_a_quoted_file_still_scans_exactly(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text('a,b\n1,"x,y"\n2,"z"\n')
    source = DelimitedSource(path, name=None, delimiter=None, encoding=None, header=None,
                             null_markers=NULL_MARKERS)
    shape = source.scan()
    assert [resolve(s) for s in shape.stats] == ["smallint", "text"]
    assert list(source.rows(shape)) == [["1", "x,y"], ["2", "z"]]


def test_a_header_of_numbers_is_still_told_from_data(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("1,2\n" + "".join(f"{n},{n * 2}\n" for n in range(10_000)))
    fast, exact = _scan_both(path)
    assert _disagreements(fast, exact) == []
    assert fast.header is False and fast.rows == 10_001


@pytest.mark.parametrize(("body", "fit"), [
    (b"a,b\n1,2\n\n3,4\n", False),          # a blank line across the seam of two reads
    (b"a,b\n1,2\n\r\n3,4\n", False),        # a blank CRLF line across it
    (b"a,b\n1,2\r\n3,4\n", True),            # CRLF cut by the seam
    (b"a,b\n1,2\r3,4\n\n", False),           # a lone CR at the end of a read
])
def test_the_fast_read_sees_across_the_seam_of_two_reads(tmp_path: Path, body: bytes, fit: bool) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(body)
    seam = body.index(b"2") + 2
    with arrow_csv.Plain(path) as raw:
        assert raw.read(seam) == body[:seam]
        if fit:
            assert raw.read() == body[seam:]
        else:
            with pytest.raises(arrow_csv.Unfit):
                raw.read()


def test_the_blanks_stripped_before_null_markers_are_all_that_strip_removes() -> None:
    assert set(vector.WHITESPACE) == {c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}
