"""The NDJSON scan's shortcuts (columns by ``zip``, numbers and booleans observed without cells) against the
exact path, and the CSV the load writes against the csv module's, on files made to tell them apart.

The exact scan is the one before the shortcuts, spelled out here: each value
made a cell by ``cell``, a batch of a column's cells through
``bulk.observe``. Both must settle the same statistics in every aspect, and
the types must be those that observing each cell alone settles; the rows
must be each value's ``cell``.
"""

from __future__ import annotations

import csv
import io
import json
import random
from itertools import chain, islice
from pathlib import Path
from typing import Any

import orjson
import pytest

from control_plane.imports import as_csv, bulk
from control_plane.imports.formats.base import NULL_MARKERS, Shape
from control_plane.imports.formats.records import BATCH_ROWS, RecordSource, cell, observe
from control_plane.imports.inference import Stats, resolve

FAMILIES: dict[str, list[Any]] = {
    "small": [0, 7, -12, 3276, -32768, 1],
    "wide": [32768, -2147483649, 9223372036854775807, 18446744073709551615, -9223372036854775808],
    "decimals": [0.5, -0.0, 123.456, 2.0, 12345.678, -7.25, -123456.5],
    "exponents": [1e-07, 1.5e300, 1e16, 0.1, -2.5e-5],
    "booleans": [True, False],
    "days": ["2020-01-31", "1999-12-01", "2024-02-29"],
    "stamps": ["2020-01-01T10:00:00+00:00", "2021-06-30 23:59:59.5Z", "2020-01-01T10:00+05:30"],
    "uuids": ["0f8fad5b-d9cb-469f-a165-70867728950e", "7C9E6679-7425-40DE-944B-E07FC1F90AE7"],
    "numbers as text": ["5", "-0.50", "1e5", "007"],
    "decimals as text": ["+12345.5", "-0.50", "3.25", ".5", "7.", "-1234.125"],
    "text": ["plain", "café", "x\"y", "line\nbreak", "😀", "\u2028", "tab\there", "a,b"],
    "nested": [{"a": 1}, [1, 2], [], {}, {"k": [None, "x"]}],
}
# Each breaks a family's type, or the shortcuts' assumptions: a marker, a bool among numbers, a float
# among integers, an integer among floats, text that reads as a number, a null, nesting.
ODD: list[Any] = [None, "NA", " null ", "", "-", "\\N", "true", True, 1, 0, 1.0, 2.5, 1e-300, "5", "x",
                  {"n": 1}, [None], "2020-02-30", "24:00", "inf", "NaN", 10**19, -(10**19), "İnf"]
# Written as JSON text: big integers orjson reads as floats, exponents it reads into other spellings.
RAW = [b"123456789012345678901234567890", b"1E5", b"2.5e-3", b"1.0e+2", b"-0", b"0.000001", b"1e22"]


def _exact_scan(path: Path) -> Shape:
    """The scan before its shortcuts: every value a cell, each batch of a column's cells checked in bulk."""
    shape = Shape([])
    with path.open("rb") as lines:
        objects = (orjson.loads(line) for line in lines if line.strip())
        while batch := list(islice(objects, BATCH_ROWS)):
            for key in dict.fromkeys(chain.from_iterable(batch)):
                if key not in shape.headers:
                    shape.headers.append(key)
                    shape.stats.append(Stats())
            for key, stats in zip(shape.headers, shape.stats, strict=True):
                column = [cell(o[key], NULL_MARKERS) for o in batch if key in o]
                present = [c for c in column if c is not None]
                stats.nulls += len(column) - len(present)
                bulk.observe(stats, present)
            shape.rows += len(batch)
    return shape


def _one_by_one(path: Path, headers: list[str]) -> list[str]:
    """The types each cell observed alone settles."""
    stats = {key: Stats() for key in headers}
    for obj in map(orjson.loads, filter(bytes.strip, path.read_bytes().split(b"\n"))):
        for key, value in obj.items():
            stats[key].observe(cell(value, NULL_MARKERS))
    return [resolve(stats[key]) for key in headers]


def _settled(shape: Shape) -> dict[str, object]:
    return {"shape": (shape.headers, shape.rows), "types": [resolve(s) for s in shape.stats],
            **{f"column {k}": (s.kinds, s.seen, s.nulls, s.low, s.high, s.int_digits, s.scale, s.as_written)
               for k, s in zip(shape.headers, shape.stats, strict=True)}}


def _disagreements(fast: Shape, exact: Shape) -> list[str]:
    mine, theirs = _settled(fast), _settled(exact)
    return [f"{key}: {mine.get(key)} != {theirs.get(key)}" for key in theirs if mine.get(key) != theirs[key]]


def _line(rng: random.Random, columns: dict[str, str], odd: float, ragged: float) -> bytes:
    keys = [k for k in columns if rng.random() >= ragged]
    if rng.random() < ragged:
        rng.shuffle(keys)
    parts = []
    for key in keys:
        if rng.random() < odd / 4:
            text = rng.choice(RAW)
        else:
            value = rng.choice(ODD) if rng.random() < odd else rng.choice(FAMILIES[columns[key]])
            text = _dumps(value)
        parts.append(_dumps(key) + b": " + text)
    return b"{" + b", ".join(parts) + b"}"


def _dumps(value: Any) -> bytes:
    """JSON text of any value, integers beyond 64 bits too (orjson refuses to write them)."""
    return json.dumps(value, ensure_ascii=False).encode()


def _write(path: Path, rng: random.Random, rows: int, odd: float, ragged: float) -> None:
    columns = {f"c_{family}": family for family in rng.sample(sorted(FAMILIES), 7)}
    late = {"late": rng.choice(sorted(FAMILIES))}
    lines = [_line(rng, columns if n < rows // 2 else columns | late, odd, ragged) for n in range(rows)]
    path.write_bytes(b"\n".join(lines) + b"\n")


def _source(path: Path) -> RecordSource:
    return RecordSource(path, name=None, lines=True, null_markers=NULL_MARKERS)


def _check(path: Path) -> None:
    source = _source(path)
    shape = source.scan()
    exact = _exact_scan(path)
    assert _disagreements(shape, exact) == []
    assert [resolve(s) for s in shape.stats] == _one_by_one(path, shape.headers)
    expected = ([cell(o.get(key), NULL_MARKERS) for key in shape.headers]
                for o in map(orjson.loads, filter(bytes.strip, path.read_bytes().split(b"\n"))))
    assert all(mine == theirs for mine, theirs in zip(source.rows(shape), expected, strict=True))


@pytest.mark.parametrize("seed", range(12))
def test_the_scan_settles_what_the_exact_scan_does(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    path = tmp_path / "f.ndjson"
    # Several batches; some files all alike (every batch by zip), some with missing keys or shuffled ones.
    _write(path, rng, rows=3 * BATCH_ROWS + 123, odd=rng.choice([0.0, 0.0002, 0.01]),
           ragged=rng.choice([0.0, 0.0, 0.0003, 0.05]))
    _check(path)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_odd_value_alone_in_each_family_settles_alike(tmp_path: Path, family: str) -> None:
    """A column per odd value, each the family's values but for that one in the second batch: where a
    shortcut that admits too much, once the first batch has narrowed the column, shows."""
    odd = [*map(_dumps, ODD), *RAW]
    usual = FAMILIES[family]
    lines = []
    for n in range(BATCH_ROWS + 500):
        value = _dumps(usual[n % len(usual)])
        cells = [odd[k] if n == BATCH_ROWS + 7 else value for k in range(len(odd))]
        lines.append(b"{" + b", ".join(b'"v%d": %s' % (k, c) for k, c in enumerate(cells)) + b"}")
    path = tmp_path / "f.ndjson"
    path.write_bytes(b"\n".join(lines))
    _check(path)


def test_a_column_that_changes_family_between_batches_settles_alike(tmp_path: Path) -> None:
    """A column per pair of families, the first for a batch, the second after: a shortcut then meets a
    column its values no longer fit, which the exact path observes one by one."""
    pairs = [(a, b) for a in sorted(FAMILIES) for b in sorted(FAMILIES) if a != b]
    lines = []
    for n in range(BATCH_ROWS + 50):
        values = [FAMILIES[a if n < BATCH_ROWS else b] for a, b in pairs]
        lines.append(_dumps({f"{a}, {b}": v[n % len(v)] for (a, b), v in zip(pairs, values, strict=True)}))
    path = tmp_path / "f.ndjson"
    path.write_bytes(b"\n".join(lines))
    _check(path)


@pytest.mark.parametrize("values", [[float("inf"), 1.5], [float("nan")], [-float("inf")], [1.5, None, 2.25],
                                    [None, None], [], [True, None], [10**40, -5], [-(10**30)], [0.1, 5]])
def test_values_no_file_gives_are_observed_alike(values: list[Any]) -> None:
    """``observe`` on values a JSON file cannot hold, or not in one column alone."""
    for before in ([], [1], ["2020-01-01"], [True], [0.5], ["x"]):
        mine, theirs = Stats(), Stats()
        for batch in (before, values):
            observe(mine, batch, NULL_MARKERS)
            column = [cell(v, NULL_MARKERS) for v in batch]
            theirs.nulls += column.count(None)
            bulk.observe(theirs, [c for c in column if c is not None])
        assert mine == theirs, (before, values)


def test_the_shortcuts_settle_the_types_a_reader_expects(tmp_path: Path) -> None:
    path = tmp_path / "f.ndjson"
    rows: list[dict[str, Any]] = [{"id": n, "share": n / 4, "big": 2**63 + n, "ok": n % 2 == 0,
                                   "tiny": 1e-7 * n} for n in range(9_000)]
    rows[8_000]["share"] = None
    path.write_bytes(b"\n".join(map(orjson.dumps, rows)))
    shape = _source(path).scan()
    assert [resolve(s) for s in shape.stats] == ["smallint", "numeric(6,2)", "numeric(19,0)", "boolean",
                                                 "double precision"]
    assert _disagreements(shape, _exact_scan(path)) == []


class _Null(float):
    """Left unquoted by ``QUOTE_NONNUMERIC``, as a number is, and written ``\\N``."""

    def __repr__(self) -> str:
        return as_csv.NULL


def _csv_module(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    writer.writerows([_Null() if c is None else c for c in row] for row in rows)
    return buffer.getvalue().encode()


@pytest.mark.parametrize("seed", range(6))
def test_the_load_writes_the_csv_modules_text(seed: int) -> None:
    """Cells holding quotes, separators, newlines, the null's spelling or the joins' control characters."""
    rng = random.Random(seed)
    pieces = ["a", '"', ",", "\n", "\r", "\\", "N", ".", " ", "é", "\x1f", "\x1e", "\x1d", "", "\\N", '""']
    for _ in range(2_000):
        width, count = rng.randint(1, 4), rng.randint(1, 6)
        nulls = rng.choice([0.0, 0.2])
        rows = [[None if rng.random() < nulls else "".join(rng.choices(pieces, k=rng.randint(0, 3)))
                 for _ in range(width)] for _ in range(count)]
        assert as_csv.batch(iter(rows), count) == (_csv_module(rows), count), rows
