"""Rows of text cells written as CSV that ``COPY ... (FORMAT csv, NULL '\\N')`` reads back cell for cell.

Every string is quoted (``QUOTE_NONNUMERIC``), so an empty string, a lone
``\\.`` or a value spelled ``\\N`` stays what it is; a null is the one field
left unquoted, ``\\N``. Used when every column's values are spelled as
Postgres's input reads them (``Stats.copyable``) but the file itself cannot
go to ``COPY`` as written: it then costs one C call a batch instead of a
conversion a value.

The csv module still spends a third of a microsecond a cell. A batch of
string cells is instead joined with control characters no cell holds (the
counts prove it), quotes are doubled and the separators replaced by the
quoting, all over the batch's text at once; the result is the csv module's,
byte for byte. A batch that is not only strings and nulls, or whose cells hold
those characters, is written by the csv module.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any

NULL = "\\N"
OPTIONS: dict[str, Any] = {"format": "csv", "null": NULL}
CELL, LINE, NONE = "\x1f", "\x1e", "\x1d"  # unit, record and group separators: between, not in, cells


class _Null:
    """Unquoted by ``QUOTE_NONNUMERIC`` (it looks like a number to the csv module), written ``\\N``."""

    def __float__(self) -> float:
        return 0.0

    def __str__(self) -> str:
        return NULL


_NULL = _Null()


def batch(rows: Iterator[list[Any]], size: int) -> tuple[bytes, int]:
    """The next ``size`` rows as UTF-8 CSV, and how many there were."""
    taken = list(islice(rows, size))
    return (_joined(taken) or _written(taken)).encode(), len(taken)


def _written(taken: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    # A row without a null (most rows) is passed as it is: ``None in row`` is one C loop, not one per cell.
    writer.writerows(r if None not in r else [_NULL if c is None else c for c in r] for r in taken)
    return buffer.getvalue()


def _joined(taken: list[list[Any]]) -> str | None:
    """The csv module's text for rows of strings and nulls, made by joins and replaces; None when unsure."""
    width = len(taken[0]) if taken else 0
    try:
        lines, nulls = list(map(CELL.join, taken)), 0
    except TypeError:
        try:
            lines, nulls = _with_nulls(taken)
        except TypeError:
            return None  # a cell that is not a string
    text = LINE.join(lines)
    if not width or not _only_separators(text, len(taken), width, nulls):
        return None
    text = '"' + text.replace('"', '""').replace(CELL, '","').replace(LINE, '"\n"') + '"\n'
    return text.replace(f'"{NONE}"', NULL) if nulls else text


def _with_nulls(taken: Sequence[list[Any]]) -> tuple[list[str], int]:
    nulls = sum(r.count(None) for r in taken)
    marked = ([NONE if c is None else c for c in r] if None in r else r for r in taken)
    return list(map(CELL.join, marked)), nulls


def _only_separators(text: str, rows: int, width: int, nulls: int) -> bool:
    """Whether the separators in ``text`` are exactly those put there: no cell held one."""
    return (text.count(CELL) == rows * (width - 1) and text.count(LINE) == rows - 1
            and text.count(NONE) == nulls)
