"""JSON (one array of objects) and NDJSON (one object per line): the union of keys becomes the columns.

The array is read with ijson, one object at a time, so a large file stays
bounded. Scalars become text cells for inference (``true``/``false``, numbers
as written); nested objects and arrays become JSON text, so they infer as
``jsonb``. Objects are taken a batch at a time and turned into cells a
column at a time: a column of one JSON type is converted in one call. A batch
whose objects all have the same keys in the same order (most files) is
turned into columns in one C call (``zip``) instead of a lookup per value.

The scan observes a column of integers, floats or booleans without making
its cells, from what those cells would be (``observe``): the decision
``bulk.observe`` takes on the cells, reached from the values (the lowest and
highest integer, whether a float's ``repr`` has an exponent, each float's
digits either side of the point). Strings, and any column that is not one of
these types or that the shortcut's assumptions do not cover, take the cells
and ``bulk.observe`` as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any, cast

import ijson
import orjson

from control_plane.errors import (
    BadImport,
    EmptyFile,
    InvalidEncoding,
    LineTooLong,
    MalformedJson,
    NoRows,
    NotAnArray,
    NotAnObject,
    TooManyColumns,
)
from control_plane.imports import bulk
from control_plane.imports.formats.base import MAX_COLUMNS, Row, Shape, null_if_marker
from control_plane.imports.inference import NUMBERS, Kind, Stats

MAX_LINE_BYTES = 16 * 1024 * 1024
BATCH_ROWS = 5_000
BLOCK_BYTES = 1024 * 1024
WORDS = {True: "true", False: "false"}
NONE_TYPE = type(None)


def cell(value: Any, markers: frozenset[str]) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return WORDS[value]
    if isinstance(value, str):
        return null_if_marker(value, markers)
    if isinstance(value, int | float):
        return repr(value)
    return orjson.dumps(value).decode()


def cells(values: Sequence[Any], markers: frozenset[str]) -> list[str | None]:
    """``cell`` of each value; a column of only integers, floats, booleans or marker-free strings at once."""
    types = set(map(type, values))
    if types == {int}:
        return list(map(str, values))
    if types == {float}:
        return list(map(repr, values))
    if types == {str} and markers.isdisjoint(map(str.strip, values)):
        return list(values)
    if types == {bool}:
        return list(map(WORDS.__getitem__, values))
    return [cell(v, markers) for v in values]


def observe(stats: Stats, values: Sequence[Any], markers: frozenset[str]) -> None:
    """``bulk.observe`` of the values' non-null cells, and their nulls counted."""
    types, present = set(map(type, values)), values
    if NONE_TYPE in types:
        types.discard(NONE_TYPE)
        present = [v for v in values if v is not None]
        stats.nulls += len(values) - len(present)
    if types == {int} and stats.kinds & NUMBERS:
        _integers(stats, present)
    elif types == {float} and stats.kinds & NUMBERS:
        _floats(stats, list(map(repr, present)))
    elif types == {bool} and stats.kinds & Kind.BOOLEAN:
        stats.kinds &= Kind.BOOLEAN
        stats.seen += len(present)
    else:
        column = cells(present, markers)
        kept = [c for c in column if c is not None] if None in column else cast(list[str], column)
        stats.nulls += len(column) - len(kept)
        bulk.observe(stats, kept)


def _integers(stats: Stats, values: Sequence[int]) -> None:
    """What ``bulk`` finds in ``str`` of each: the extremes, and the most digits (those of an extreme)."""
    low, high = min(values), max(values)
    stats.widen_integers(low, high, max(len(str(abs(low))), len(str(abs(high)))))
    stats.kinds &= NUMBERS
    stats.seen += len(values)


def _floats(stats: Stats, texts: list[str]) -> None:
    """What ``bulk`` finds in floats' ``repr``: a decimal (digits and one point, never an integer) unless one
    has an exponent, or is ``inf`` or ``nan``, which leaves only double precision."""
    joined = "\n".join(texts)
    digits = None if "e" in joined or "n" in joined else bulk.decimal_digits(joined, len(texts))
    if digits is None:
        stats.kinds &= Kind.DOUBLE
    else:
        stats.widen_decimals(*digits)
        stats.kinds &= Kind.NUMERIC | Kind.DOUBLE
    stats.seen += len(texts)


def columns(batch: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]] | None:
    """Each key's values, when every object of the batch has the same keys in the same order; else None."""
    keys = set(map(tuple, batch))
    if len(keys) != 1:
        return None
    return dict(zip(keys.pop(), zip(*map(dict.values, batch), strict=True), strict=True))


class RecordSource:
    """One table from a JSON array of objects, or from NDJSON when ``lines`` is set."""

    def __init__(self, path: Path, *, name: str | None, lines: bool, null_markers: frozenset[str]) -> None:
        self.name = name
        self.path = path
        self.lines = lines
        self.markers = null_markers
        self._file: IO[bytes] | None = None

    def bytes_read(self) -> int:
        return self._file.tell() if self._file is not None and not self._file.closed else 0

    def scan(self) -> Shape:
        try:
            return self._scan()
        except BadImport:
            self._too_many_keys()  # a batch reads ahead: too many keys may have come first
            raise

    def _scan(self) -> Shape:
        shape = Shape([])
        for batch in self._batches():
            by_key = columns(batch)
            for key in by_key or dict.fromkeys(chain.from_iterable(batch)):
                if key not in shape.headers:
                    shape.headers.append(key)
                    shape.stats.append(Stats())
                    if len(shape.headers) > MAX_COLUMNS:
                        raise _too_many()
            for key, stats in zip(shape.headers, shape.stats, strict=True):
                values = by_key.get(key, ()) if by_key is not None else [o[key] for o in batch if key in o]
                observe(stats, values, self.markers)
            shape.rows += len(batch)
        if shape.rows == 0:
            raise NoRows("the file holds no objects")
        return shape

    def _too_many_keys(self) -> None:
        keys: dict[str, None] = {}
        for obj in chain.from_iterable(self._blocks()):
            keys.update(dict.fromkeys(obj))
            if len(keys) > MAX_COLUMNS:
                raise _too_many()

    def rows(self, shape: Shape) -> Iterator[Row]:
        for batch in self._batches():
            by_key, missing = columns(batch), (None,) * len(batch)
            values = ([by_key.get(key, missing) for key in shape.headers] if by_key is not None
                      else [[obj.get(key) for obj in batch] for key in shape.headers])
            yield from map(list, zip(*(cells(v, self.markers) for v in values), strict=True))

    def _batches(self) -> Iterator[list[dict[str, Any]]]:
        """The objects ``BATCH_ROWS`` at a time, made from NDJSON's blocks of objects, not one by one."""
        if not self.lines:  # an array's blocks are already batches
            yield from self._blocks()
            return
        pending: list[dict[str, Any]] = []
        for block in self._blocks():
            pending += block
            while len(pending) >= BATCH_ROWS:
                yield pending[:BATCH_ROWS]
                del pending[:BATCH_ROWS]
        if pending:
            yield pending

    def _blocks(self) -> Iterator[list[dict[str, Any]]]:
        with self.path.open("rb") as raw:
            self._file = raw
            if not raw.read(4096).strip():
                raise EmptyFile("the file is empty")
            raw.seek(0)
            if self.lines:
                yield from self._ndjson(raw)
                return
            array = self._array(raw)
            while block := list(islice(array, BATCH_ROWS)):
                yield block

    def _array(self, raw: IO[bytes]) -> Iterator[dict[str, Any]]:
        try:
            for number, obj in enumerate(ijson.items(raw, "item", use_float=True), start=1):
                yield _object(obj, f"item {number}")
        except ijson.JSONError as exc:
            raise MalformedJson(f"not valid JSON: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise InvalidEncoding(f"the file is not valid UTF-8: {exc.reason}") from exc
        if raw.tell() and _first_byte(raw) != b"[":
            raise NotAnArray("JSON must be an array of objects")

    def _ndjson(self, raw: IO[bytes]) -> Iterator[list[dict[str, Any]]]:
        """Lines a block at a time, parsed in one ``map``; a block with a problem is read line by line."""
        before, rest = 0, b""
        while block := raw.read(BLOCK_BYTES):
            lines = (rest + block).split(b"\n")
            rest = lines.pop()
            yield _lines(lines, before)
            before += len(lines)
            if len(rest) >= MAX_LINE_BYTES:
                raise LineTooLong(f"a line is longer than {MAX_LINE_BYTES} bytes", line=before + 1)
        if rest:
            yield _lines([rest], before)


def _lines(lines: list[bytes], before: int) -> list[dict[str, Any]]:
    try:
        objects = list(map(orjson.loads, filter(bytes.strip, lines)))
    except orjson.JSONDecodeError:
        objects = []
    if objects and max(map(len, lines)) < MAX_LINE_BYTES and set(map(type, objects)) == {dict}:
        return objects
    return [_line(line, number) for number, line in enumerate(lines, start=before + 1) if line.strip()
            or len(line) >= MAX_LINE_BYTES]


def _line(line: bytes, number: int) -> dict[str, Any]:
    if len(line) >= MAX_LINE_BYTES:
        raise LineTooLong(f"a line is longer than {MAX_LINE_BYTES} bytes", line=number)
    try:
        return _object(orjson.loads(line), "the line")
    except orjson.JSONDecodeError as exc:
        raise MalformedJson(f"not valid JSON: {exc}", line=number) from exc
    except BadImport as exc:
        raise exc.at(number) from exc


def _too_many() -> BadImport:
    return TooManyColumns(f"more than {MAX_COLUMNS} keys; Postgres allows at most {MAX_COLUMNS} columns")


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise NotAnObject(f"{what} is not an object; JSON must be an array of objects")
    return value


def _first_byte(raw: IO[bytes]) -> bytes:
    raw.seek(0)
    return raw.read(64).lstrip()[:1]
