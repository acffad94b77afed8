"""Rows of text cells written as CSV that ``COPY ... (FORMAT csv, NULL '\\N')`` reads back cell for cell.

Every string is quoted (``QUOTE_NONNUMERIC``), so an empty string, a lone
``\\.`` or a value spelled ``\\N`` stays what it is; a null is the one field
left unquoted, ``\\N``. Used when every column's values are spelled as
Postgres's input reads them (``Stats.copyable``) but the file itself cannot
go to ``COPY`` as written: it then costs one C call a batch instead of a
conversion a value.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from itertools import islice
from typing import Any

NULL = "\\N"
OPTIONS: dict[str, Any] = {"format": "csv", "null": NULL}


class _Null:
    """Unquoted by ``QUOTE_NONNUMERIC`` (it looks like a number to the csv module), written ``\\N``."""

    def __float__(self) -> float:
        return 0.0

    def __str__(self) -> str:
        return NULL


_NULL = _Null()


def batch(rows: Iterator[list[Any]], size: int) -> tuple[bytes, int]:
    """The next ``size`` rows as UTF-8 CSV, and how many there were."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    # A row without a null (most rows) is passed as it is: ``None in row`` is one C loop, not one per cell.
    taken = [r if None not in r else [_NULL if c is None else c for c in r] for r in islice(rows, size)]
    writer.writerows(taken)
    return buffer.getvalue().encode(), len(taken)
