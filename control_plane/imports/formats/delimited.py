"""CSV and TSV: encoding, delimiter and header row detected; ragged rows and broken quotes refused.

Encoding: a byte-order mark decides (UTF-8, UTF-16); otherwise UTF-16 is
recognised by its zero bytes, then UTF-8 is tried and, when the file is not
valid UTF-8 and no encoding was declared, CP1252 and finally Latin-1. The
delimiter is the candidate that splits the first lines into the same number of
fields (more than one). The first row is a header unless every one of its
values fits the type the other rows settle on.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from control_plane.imports.formats.base import MAX_COLUMNS, Row, Shape, null_if_marker
from control_plane.imports.inference import Stats
from control_plane.imports.problems import BadImport

SAMPLE_BYTES = 65_536
MAX_LINE_CHARS = 16 * 1024 * 1024
DELIMITERS = (",", "\t", ";", "|")
FALLBACKS = ("utf-8", "cp1252", "latin-1")


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

    def bytes_read(self) -> int:
        return self._file.tell() if self._file is not None and not self._file.closed else 0

    def scan(self) -> Shape:
        with self.path.open("rb") as raw:
            head = raw.read(SAMPLE_BYTES)
        if not head.strip():
            raise BadImport("the file is empty", code="empty_file")
        candidates = [self.declared] if self.declared else [sniff_encoding(head) or c for c in FALLBACKS]
        candidates = list(dict.fromkeys(candidates))
        for position, encoding in enumerate(candidates):
            self.encoding = encoding
            try:
                return self._scan()
            except UnicodeDecodeError as exc:
                if self.declared or position == len(candidates) - 1:
                    raise BadImport(f"the file is not valid {encoding}: {exc.reason}",
                                    code="invalid_encoding") from exc
        raise AssertionError("unreachable")

    def _scan(self) -> Shape:
        first: Row | None = None
        stats: list[Stats] = []
        rows = 0
        for line, cells in self._records():
            if first is None:
                first = cells
                _check_width(len(cells))
                stats = [Stats() for _ in cells]
                continue
            _check_ragged(line, len(cells), len(first))
            for stat, cell in zip(stats, cells, strict=True):
                stat.observe(cell)
            rows += 1
        if first is None:
            raise BadImport("the file is empty", code="empty_file")
        return self._settle(first, stats, rows)

    def _settle(self, first: Row, stats: list[Stats], rows: int) -> Shape:
        header = self.header if self.header is not None else _looks_like_header(first, stats)
        if not header:
            for stat, cell in zip(stats, first, strict=True):
                stat.observe(cell)
            return Shape([""] * len(first), stats, rows + 1, header=False)
        if rows == 0:
            raise BadImport("the file has a header row but no data", code="no_rows")
        return Shape([cell or "" for cell in first], stats, rows)

    def rows(self, shape: Shape) -> Iterator[Row]:
        records = self._records()
        if shape.header:
            next(records)
        for _, cells in records:
            yield cells

    def _records(self) -> Iterator[tuple[int, Row]]:
        assert self.encoding is not None
        with self.path.open("rb") as raw:
            self._file = raw
            text = io.TextIOWrapper(raw, encoding=self.encoding, newline="")
            delimiter = self.delimiter or sniff_delimiter(text.read(SAMPLE_BYTES))
            text.seek(0)
            reader = csv.reader(_bounded_lines(text), delimiter=delimiter, strict=True)
            try:
                for cells in reader:
                    if cells:
                        yield reader.line_num, [null_if_marker(c, self.markers) for c in cells]
            except csv.Error as exc:
                raise _csv_problem(reader.line_num, exc) from exc


def _bounded_lines(text: io.TextIOWrapper) -> Iterator[str]:
    """Lines of at most ``MAX_LINE_CHARS``: a file that is one huge line fails instead of filling memory."""
    while line := text.readline(MAX_LINE_CHARS):
        if len(line) == MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            raise BadImport(f"a line is longer than {MAX_LINE_CHARS} characters", code="line_too_long")
        yield line


def _csv_problem(line: int, exc: csv.Error) -> BadImport:
    reason = str(exc)
    if "unexpected end of data" in reason or "EOF" in reason:
        return BadImport("a quoted field is not closed before the end of the file", line=line,
                         code="unterminated_quote")
    return BadImport(f"malformed CSV: {reason}", line=line, code="malformed_csv")


def _check_width(width: int) -> None:
    if width > MAX_COLUMNS:
        raise BadImport(f"{width} columns; Postgres allows at most {MAX_COLUMNS}", line=1,
                        code="too_many_columns")


def _check_ragged(line: int, width: int, expected: int) -> None:
    if width != expected:
        raise BadImport(f"{width} fields where the first row has {expected}", line=line, code="ragged_row")


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
