"""CSV and TSV: encoding, delimiter and header row detected; ragged rows and broken quotes refused.

Encoding: a byte-order mark decides (UTF-8, UTF-16); otherwise UTF-16 is
recognised by its zero bytes, then UTF-8 is tried and, when the file is not
valid UTF-8 and no encoding was declared, CP1252 and finally Latin-1. The
delimiter is the candidate that splits the first lines into the same number of
fields (more than one). The first row is a header unless every one of its
values fits the type the other rows settle on.

The scan reads rows in batches and infers each column a batch at a time
(``bulk.observe``). When what it saw lets Postgres read the file as the scan
did (``Columns.as_written``), the loader sends the file itself to ``COPY``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Generator, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from itertools import islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pyarrow as pa

from control_plane.errors import (
    BadImport,
    EmptyFile,
    InvalidEncoding,
    LineTooLong,
    MalformedCsv,
    NoRows,
    RaggedRow,
    TooManyColumns,
    UnterminatedQuote,
)
from control_plane.imports import bulk
from control_plane.imports.formats import arrow_csv
from control_plane.imports.formats.base import (
    MAX_COLUMNS,
    AsWritten,
    Foresight,
    Row,
    Shape,
    null_if_marker,
)
from control_plane.imports.inference import NUMBERS, Stats

if TYPE_CHECKING:
    from control_plane.imports import vector

SAMPLE_BYTES = 65_536
FORESIGHT_BYTES = 512 * 1024  # of the head, and of the tail, to foresee the types of columns not numbers
MAX_LINE_CHARS = 16 * 1024 * 1024
DELIMITERS = (",", "\t", ";", "|")
FALLBACKS = ("utf-8", "cp1252", "latin-1")
BATCH_ROWS = 5_000
CHUNK_BYTES = 1024 * 1024
SCAN_THREADS = 2  # Arrow's kernels release the GIL: columns of a batch are checked two at a time


def sniff_encoding(head: bytes) -> str | None:
    """The encoding the first bytes prove, or None when only decoding the whole file can tell."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if len(head) >= 4 and odd > len(head) // 4:
        return "utf-16-le"
    if len(head) >= 4 and even > len(head) // 4:
        return "utf-16-be"
    return None


def sniff_delimiter(sample: str) -> str:
    """The delimiter giving the most rows of one consistent width above one; ``,`` if none does."""
    lines = sample.splitlines()[:-1] or sample.splitlines()
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            widths = [len(r) for r in csv.reader(lines, delimiter=delimiter) if r]
        except csv.Error:
            continue
        if not widths or widths[0] < 2:
            continue
        score = (sum(1 for w in widths if w == widths[0]), widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


class DelimitedSource:
    """One table from a CSV or TSV spool file."""

    def __init__(self, path: Path, *, name: str | None, delimiter: str | None, encoding: str | None,
                 header: bool | None, null_markers: frozenset[str]) -> None:
        self.name = name
        self.path = path
        self.delimiter = delimiter
        self.declared = encoding
        self.encoding = encoding
        self.header = header
        self.markers = null_markers
        self._file: IO[bytes] | None = None
        self._delimiter = delimiter or ","
        self._blank = False

    def bytes_read(self) -> int:
        return self._file.tell() if self._file is not None and not self._file.closed else 0

    def scan(self, threads: int = SCAN_THREADS) -> Shape:
        """``threads``: how many columns of a batch the fast read checks at once."""
        with self.path.open("rb") as raw:
            head = raw.read(SAMPLE_BYTES)
        if not head.strip():
            raise EmptyFile("the file is empty")
        candidates = [self.declared] if self.declared else [sniff_encoding(head) or c for c in FALLBACKS]
        candidates = list(dict.fromkeys(candidates))
        for position, encoding in enumerate(candidates):
            self.encoding = encoding
            try:
                return self._scan(threads)
            except UnicodeDecodeError as exc:
                if self.declared or position == len(candidates) - 1:
                    raise InvalidEncoding(f"the file is not valid {encoding}: {exc.reason}") from exc
        raise AssertionError("unreachable")

    def _scan(self, threads: int) -> Shape:
        """Arrow's read when the file allows it, else batches read at C speed; at the first irregularity,
        a row-by-row read says what and where."""
        fast = self._scan_arrow(threads) if self.encoding == "utf-8" else None
        if fast is not None:
            return fast
        try:
            return self._scan_batches()
        except (Irregular, csv.Error, BadImport, UnicodeDecodeError):
            for number, (_, cells) in enumerate(self._cells()):
                if number == 0:
                    _check_width(len(cells))
            raise

    def _scan_batches(self) -> Shape:
        batches = self._batches()
        batch = next(batches, None)
        if not batch:
            raise EmptyFile("the file is empty")
        first = batch.pop(0)
        _check_width(len(first))
        columns = Columns(len(first), self.markers)
        while batch is not None:
            if batch and set(map(len, batch)) != {len(first)}:
                raise Irregular("a row of another width")
            columns.add(batch)
            batch = next(batches, None)
        return self._settle(first, columns)

    def _scan_arrow(self, threads: int = SCAN_THREADS) -> Shape | None:
        """The scan through ``arrow_csv``: the ``Shape`` ``_scan_batches`` gives; None if it cannot tell."""
        delimiter, width = self._first_line()
        if not 2 <= width <= MAX_COLUMNS:
            return None
        columns = Columns(width, self.markers)
        first: list[str] | None = None
        try:
            with (ThreadPoolExecutor(threads) as pool, arrow_csv.Plain(self.path) as raw,
                  arrow_csv.batches(raw, delimiter, width) as batches):
                self._file = raw
                for batch in batches:
                    if first is None:
                        first = list(batch.slice(0, 1).to_pylist()[0].values())
                        batch = batch.slice(1)
                    columns.add_arrow(batch, pool)
        except arrow_csv.Unfit:
            return None
        if first is None:
            return None
        self._delimiter, self._blank = delimiter, False
        return self._settle(first, columns)

    def foresee(self) -> Foresight | None:
        """The shape the scan will most likely settle on, found in a fraction of its time, and the scan.

        Only for a UTF-8 file the fast read takes. The columns a sample of the
        file's head and tail shows as numbers are measured over the whole file
        (``vector.widen``: their types hang on every value's size and scale);
        the others are taken as the sample shows them. ``Foresight.rest`` is
        ``scan`` itself, its columns checked one at a time (the caller copies
        the file on the other core meanwhile).
        """
        if self.declared not in (None, "utf-8") or not self._utf8_head():
            return None
        delimiter, width = self._first_line()
        sample = self._sample(delimiter, width) if 2 <= width <= MAX_COLUMNS else None
        if sample is None:
            return None
        first, seen = sample
        numbers = [i for i, s in enumerate(seen.stats) if s.seen and s.kinds & NUMBERS]
        rows = self._widen(delimiter, seen, numbers) if numbers else seen.rows
        if rows is None:
            return None
        seen.rows = rows
        self.encoding, self._delimiter, self._blank = "utf-8", delimiter, False
        try:
            shape = self._settle(first, seen)
        except BadImport:
            return None
        if shape.as_written is not None:
            shape.as_written = replace(shape.as_written, chunks=self._raw_chunks)
        return Foresight(shape, partial(self.scan, threads=1))

    def _widen(self, delimiter: str, columns: Columns, numbers: list[int]) -> int | None:
        """Widen the statistics of the columns ``numbers`` over the whole file, read in ``SCAN_THREADS`` parts
        at once; its rows after the first, or None when the fast read cannot take the file."""
        from control_plane.imports import vector  # noqa: PLC0415 - see Columns.add_arrow

        markers, width = vector.strings(sorted(self.markers)), len(columns.stats)
        cuts = self._line_starts(SCAN_THREADS)
        parts = [[columns.stats[i] for i in numbers]]
        parts += [[Stats(kinds=columns.stats[i].kinds) for i in numbers] for _ in cuts[2:]]

        def widen(stats: list[Stats], start: int, end: int) -> int | None:
            rows = 0
            try:
                with (arrow_csv.Plain(self.path, start, end, blanks=False) as raw,
                      arrow_csv.batches(raw, delimiter, width, numbers) as batches):
                    for batch in batches:
                        batch = batch.slice(1) if start == rows == 0 else batch  # the header, or not
                        for seen, cells in zip(stats, batch.columns, strict=True):
                            vector.widen(seen, cells, markers)
                        rows += batch.num_rows
            except (arrow_csv.Unfit, pa.ArrowException):  # a guess is not worth an error
                return None
            return rows

        with ThreadPoolExecutor(len(parts)) as pool:
            rows = list(pool.map(widen, parts, cuts, cuts[1:]))
        for part in parts[1:]:
            for stats, seen in zip(parts[0], part, strict=True):
                stats.join(seen)
        return None if None in rows else sum(r or 0 for r in rows)

    def _line_starts(self, parts: int) -> list[int]:
        """Where the file splits into about ``parts`` parts of whole lines: its start, the cuts, its end."""
        size = self.path.stat().st_size
        cuts = [0]
        with self.path.open("rb") as raw:
            for part in range(1, parts):
                raw.seek(at := size * part // parts)
                end = raw.read(CHUNK_BYTES).find(b"\n")
                if end >= 0 and cuts[-1] < at + end + 1 < size:
                    cuts.append(at + end + 1)
        return [*cuts, size]

    def _utf8_head(self) -> bool:
        with self.path.open("rb") as raw:
            head = raw.read(SAMPLE_BYTES)
        if not head.strip() or sniff_encoding(head) is not None:
            return False
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            return exc.start >= len(head) - 3  # only a character cut at the sample's end
        return True

    def _sample(self, delimiter: str, width: int) -> tuple[list[str], Columns] | None:
        """The first row, and the statistics of whole rows from the file's head and tail; None for a
        sample the fast read would not take (a quote, rows of other widths)."""
        size = self.path.stat().st_size
        with self.path.open("rb") as raw:
            lines = raw.read(FORESIGHT_BYTES).splitlines()
            if raw.tell() < size:  # whole lines only: the head's last and the tail's first may be cut
                raw.seek(max(size - FORESIGHT_BYTES, raw.tell()))
                lines = lines[:-1] + raw.read().splitlines()[1:]
        try:
            text = [line.decode("utf-8") for line in lines if line]
        except UnicodeDecodeError:
            return None
        if not text or any('"' in line for line in text):
            return None
        rows = [line.split(delimiter) for line in text]
        if any(len(row) != width for row in rows):
            return None
        seen = Columns(width, self.markers)
        seen.add(rows[1:])
        return rows[0], seen

    def _raw_chunks(self) -> Generator[bytes, None, None]:
        """The file's bytes from the start, as ``_chunks`` gives a UTF-8 file's, without taking ``_file``."""
        with self.path.open("rb") as raw:
            while chunk := raw.read(CHUNK_BYTES):
                yield chunk

    def _first_line(self) -> tuple[str, int]:
        """The delimiter as the row-by-row read finds it, and the first line's fields when split on it."""
        try:
            with self.path.open("r", encoding="utf-8", newline="") as text:
                delimiter = self.delimiter or sniff_delimiter(text.read(SAMPLE_BYTES))
                text.seek(0)
                line = text.readline(MAX_LINE_CHARS)
        except UnicodeDecodeError:
            return ",", 0  # the row-by-row read says where
        return delimiter, line.count(delimiter) + 1

    def _settle(self, first: list[str], columns: Columns) -> Shape:
        stats, rows = columns.stats, columns.rows
        cells = [null_if_marker(cell, self.markers) for cell in first]
        header = self.header if self.header is not None else _looks_like_header(cells, stats)
        if not header:
            columns.add([first])
            shape = Shape([""] * len(first), stats, rows + 1, header=False)
        elif rows == 0:
            raise NoRows("the file has a header row but no data")
        else:
            shape = Shape([cell or "" for cell in cells], stats, rows)
        if columns.as_written() and not self._blank and self._delimiter not in (columns.null or ""):
            size = self.path.stat().st_size
            shape.as_written = AsWritten(self._chunks, size, self._delimiter, columns.null)
        return shape

    def rows(self, shape: Shape) -> Iterator[Row]:
        records = self._cells()
        if shape.header:
            next(records)
        for _, cells in records:
            yield [null_if_marker(c, self.markers) for c in cells]

    def _batches(self) -> Iterator[list[list[str]]]:
        with self._reader() as reader:
            while batch := list(islice(reader, BATCH_ROWS)):
                if not all(batch):
                    self._blank = True
                    batch = [cells for cells in batch if cells]
                yield batch

    @contextmanager
    def _reader(self) -> Iterator[Any]:  # a csv reader, whose type typeshed keeps private
        assert self.encoding is not None
        self._blank = False
        with self.path.open("rb") as raw:
            self._file = raw
            text = io.TextIOWrapper(raw, encoding=self.encoding, newline="")
            self._delimiter = self.delimiter or sniff_delimiter(text.read(SAMPLE_BYTES))
            text.seek(0)
            yield csv.reader(_bounded_lines(text), delimiter=self._delimiter, strict=True)

    def _cells(self) -> Iterator[tuple[int, list[str]]]:
        with self._reader() as reader:
            width = None
            try:
                for cells in reader:
                    if not cells:
                        self._blank = True
                        continue
                    if width is not None and len(cells) != width:
                        _check_ragged(reader.line_num, len(cells), width)
                    width = width or len(cells)
                    yield reader.line_num, cells
            except csv.Error as exc:
                raise _csv_problem(reader.line_num, exc) from exc

    def _chunks(self) -> Generator[bytes, None, None]:
        """The file's text as UTF-8 (the scan proved it decodes), without a byte-order mark."""
        assert self.encoding is not None
        with self.path.open("rb") as raw:
            self._file = raw
            if self.encoding == "utf-8":
                while chunk := raw.read(CHUNK_BYTES):
                    yield chunk
                return
            text = io.TextIOWrapper(raw, encoding=self.encoding, newline="")
            while part := text.read(CHUNK_BYTES):
                yield part.encode()


class Irregular(Exception):
    """A batch the fast read cannot take as it is; the row-by-row read finds the problem."""


class Columns:
    """Each column's statistics, a batch of raw cells at a time, and what Postgres would read otherwise.

    Python's csv module and ``COPY`` agree on quoted fields but not on a quote
    inside an unquoted one, so a value holding a quote keeps the file from
    ``COPY`` as written; so do two different null markers (``COPY`` knows one).
    """

    def __init__(self, width: int, markers: frozenset[str]) -> None:
        self.stats = [Stats() for _ in range(width)]
        self.markers = markers
        self.vectors: list[vector.Column] = []  # made by the first Arrow batch
        self.rows = 0
        self.met: set[str] = set()
        self.quoted = False

    @property
    def null(self) -> str | None:
        return next(iter(self.met)) if len(self.met) == 1 else None

    def add(self, rows: list[list[str]]) -> None:
        if not rows:
            return
        self.rows += len(rows)
        for stats, column in zip(self.stats, zip(*rows, strict=True), strict=True):
            self._add(stats, list(column))

    def add_arrow(self, batch: pa.RecordBatch, pool: Executor) -> None:
        """A batch of string cells from ``arrow_csv``: each column checked in Arrow, else as ``add`` does."""
        self.rows += batch.num_rows
        # Imported here, not with the module: Arrow's compute kernels cost about 14 MiB of memory, which
        # the other formats' imports (Parquet's peak is close to the 200 MiB budget) need not pay.
        from control_plane.imports import vector  # noqa: PLC0415

        if not self.vectors:
            self.vectors = [vector.Column(stats, self.markers) for stats in self.stats]
        found = list(pool.map(vector.Column.add, self.vectors, batch.columns))
        for stats, cells, met in zip(self.stats, batch.columns, found, strict=True):
            if met is None:
                self._add(stats, cells.to_pylist())
            else:
                self.met |= met

    def _add(self, stats: Stats, values: list[str]) -> None:
        self.quoted = self.quoted or '"' in "".join(values) or (len(self.stats) == 1 and "\\." in values)
        stripped = list(map(str.strip, values))
        if not self.markers.isdisjoint(stripped):
            self.met.update(v for v, s in zip(values, stripped, strict=True) if s in self.markers)
            values = [v for v, s in zip(values, stripped, strict=True) if s not in self.markers]
            stats.nulls += len(stripped) - len(values)
        bulk.observe(stats, values)

    def as_written(self) -> bool:
        plain_null = not any(c in m for m in self.met for c in "\r\n\\")  # COPY's NULL option takes none
        return not self.quoted and len(self.met) <= 1 and plain_null and all(s.copyable() for s in self.stats)


def _bounded_lines(text: io.TextIOWrapper) -> Iterator[str]:
    """Lines of at most ``MAX_LINE_CHARS``: a file that is one huge line fails instead of filling memory."""
    while line := text.readline(MAX_LINE_CHARS):
        if len(line) == MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            raise LineTooLong(f"a line is longer than {MAX_LINE_CHARS} characters")
        yield line


def _csv_problem(line: int, exc: csv.Error) -> BadImport:
    reason = str(exc)
    if "unexpected end of data" in reason or "EOF" in reason:
        return UnterminatedQuote("a quoted field is not closed before the end of the file", line=line)
    return MalformedCsv(f"malformed CSV: {reason}", line=line)


def _check_width(width: int) -> None:
    if width > MAX_COLUMNS:
        raise TooManyColumns(f"{width} columns; Postgres allows at most {MAX_COLUMNS}", line=1)


def _check_ragged(line: int, width: int, expected: int) -> None:
    if width != expected:
        raise RaggedRow(f"{width} fields where the first row has {expected}", line=line)


def _looks_like_header(first: Row, stats: list[Stats]) -> bool:
    """A header when some value of the first row does not fit its column's type, or all columns are text."""
    typed = [s for s in stats if s.seen and s.kinds]
    if not typed:
        return all(first) and len(set(first)) == len(first)
    for stat, cell in zip(stats, first, strict=True):
        if stat.seen and stat.kinds and cell is not None:
            probe = Stats(kinds=stat.kinds)
            probe.observe(cell)
            if not probe.kinds:
                return True
    return False
