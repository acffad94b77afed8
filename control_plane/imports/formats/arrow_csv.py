"""The fast read of a CSV file for its scan: Arrow's streaming reader, every cell a string, a block at a time.

Taken only where it splits the file exactly as Python's csv module does:
UTF-8, two columns or more, no quote character (quoting off: a quote would
be read otherwise), no NUL, no carriage return outside CRLF, no blank line
(a blank line is a row of the wrong width to Arrow, which it refuses). Any
other file, or anything Arrow refuses (a ragged row, a line longer than a
block, bytes that are not UTF-8), raises ``Unfit``: the exact, row-by-row
scan then reads it and says what is wrong and where, if anything is.
Memory holds a few blocks, whatever the file's size.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

NEWLINE, CARRIAGE_RETURN = ord("\n"), ord("\r")
BLOCK_BYTES = 512 * 1024  # larger blocks read a little faster and hold far more memory (1 MiB: +30 MiB)


class Unfit(Exception):
    """The fast read cannot be trusted to split this file as Python's csv module would."""


class Plain(io.FileIO):
    """The file's bytes, refusing any the fast read would split otherwise: a quote, a NUL, a lone CR or
    a blank line (Arrow reads it as a row of empty strings; Python's csv module skips it)."""

    def __init__(self, path: Path, start: int = 0, end: int | None = None, *, blanks: bool = True) -> None:
        """The bytes from ``start`` to ``end`` (both at a line's start; by default the whole file).

        ``blanks=False`` lets blank lines through: a read that only measures
        number columns (``DelimitedSource.foresee``) sees them as rows of nulls.
        """
        super().__init__(path, "r")
        self.seek(start)
        self._end = end
        self._blanks = blanks
        self._tail = b"\n"  # the last bytes read: the part starts as if after a line's end

    def read(self, size: int | None = -1) -> bytes:
        if self._end is not None:
            left = max(self._end - self.tell(), 0)
            size = left if size is None or size < 0 else min(size, left)
        chunk = super().read(size)
        if not chunk:
            return chunk
        if b'"' in chunk or b"\0" in chunk:
            raise Unfit("a quote or a NUL")
        seen = self._tail + chunk
        if self._blanks and _blank_line(seen):
            raise Unfit("a blank line")
        if b"\r" in seen and seen[:-1].count(b"\r") != seen.count(b"\r\n"):
            raise Unfit("a lone carriage return")
        self._tail = chunk[-2:]
        return chunk


def _blank_line(data: bytes) -> bool:
    """Whether two line ends in ``data`` have nothing, or a carriage return alone, between them.

    In numpy (which pyarrow imports anyway): ``b"\n\n" in data`` reads a
    typical CSV block at a quarter of the speed, a newline being so frequent.
    """
    text = np.frombuffer(data, np.uint8)
    ends = np.flatnonzero(text == NEWLINE)
    gaps = np.diff(ends)
    if bool((gaps == 1).any()):
        return True
    return bool((text[ends[1:][gaps == 2] - 1] == CARRIAGE_RETURN).any())


@contextmanager
def batches(raw: Plain, delimiter: str, width: int,
            include: Sequence[int] | None = None) -> Iterator[Iterator[pa.RecordBatch]]:
    """Batches of string cells of the columns ``include`` (all ``width`` by default), the first row
    included (the scan decides if it is a header). Every row is still split and its width checked."""
    names = [f"f{i}" for i in (range(width) if include is None else include)]
    strings = {name: pa.string() for name in names}
    try:
        reader = pcsv.open_csv(
            raw,
            read_options=pcsv.ReadOptions(block_size=BLOCK_BYTES, use_threads=False,
                                          autogenerate_column_names=True),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, quote_char=False, ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(column_types=strings, include_columns=names,
                                                strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                check_utf8=True),
        )
        if reader.schema.names != names:
            raise Unfit("another width than the first line's")
        yield (batch for batch in reader if batch.num_rows)
    except pa.ArrowException as exc:
        raise Unfit(str(exc)) from exc
