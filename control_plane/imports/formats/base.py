"""What every format reader gives the loader: tables whose rows are text cells, read twice.

The first pass (``scan``) settles the columns and their statistics; the
second (``rows``) yields each row's cells, aligned with the scanned headers,
``None`` for null. Both read the spool file from the start, so memory holds a
batch of rows, never the file. ``bytes_read`` tells progress within a pass.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from control_plane.imports.inference import Stats

MAX_COLUMNS = 1600
NULL_MARKERS = frozenset({"", "NA", "N/A", "null", "NULL", "None", "-"})
Row = list[Any]


@dataclass(frozen=True)
class AsWritten:
    """How ``COPY ... (FORMAT csv)`` reads the file itself into the scanned columns, as the scan did.

    Set only when the scan proved it: every typed value spelled as Postgres's
    input reads it, at most one null marker (``null``; None when the file has
    none), no quote inside a value, no blank line.
    """

    chunks: Callable[[], Generator[bytes, None, None]]  # the file's text as UTF-8, a chunk at a time
    size: int
    delimiter: str
    null: str | None


@dataclass
class Shape:
    """The scan's result: headers as the file spells them, one ``Stats`` each, and the row count."""

    headers: list[str]
    stats: list[Stats] = field(default_factory=list)
    rows: int = 0
    header: bool = True
    declared: list[str] | None = None  # types the file states (Parquet); cells are then typed values
    as_written: AsWritten | None = None


@dataclass
class Foresight:
    """A shape foreseen before the scan, likely but not sure to be its shape, and ``rest``: the scan."""

    shape: Shape
    rest: Callable[[], Shape]


class TableSource(Protocol):
    """One table of a file."""

    name: str | None

    def scan(self) -> Shape:
        """Read everything once; raises ``BadImport`` for input that cannot become a table."""
        ...

    def rows(self, shape: Shape) -> Iterator[Row]:
        """Read everything again, each row as cells aligned with ``shape.headers``."""
        ...

    def bytes_read(self) -> int:
        ...


def null_if_marker(cell: str, markers: frozenset[str]) -> str | None:
    return None if cell.strip() in markers else cell
