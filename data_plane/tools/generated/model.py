"""What the generator knows about one endpoint's schema: tables, columns, keys, indexes, statistics."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Column:
    """One column; ``kind`` is the family the generator types it by (see ``types.py``). ``common_values``:
    every value of a low-cardinality text column, when statistics saw all of them (else empty)."""

    name: str
    type: str
    kind: str
    base: str
    nullable: bool
    has_default: bool
    generated: bool
    enum_values: tuple[str, ...]
    n_distinct: float | None
    null_frac: float | None
    comment: str | None
    common_values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ForeignKey:
    """``columns`` of the owning table refer to ``ref_columns`` of ``ref_schema.ref_table``."""

    name: str
    columns: tuple[str, ...]
    ref_schema: str
    ref_table: str
    ref_columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Index:
    """An index: its columns ('' for an expression), access method ('partial' when it has a predicate),
    and whether it serves text search (``fts``: ``expression`` is its to_tsvector key; ``trgm``)."""

    columns: tuple[str, ...]
    method: str
    search: str | None
    expression: str


@dataclass(frozen=True, slots=True)
class Table:
    schema: str
    name: str
    kind: str
    estimated_rows: int | None
    comment: str | None
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...]
    indexes: tuple[Index, ...]
    writable: bool

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def estimated_distinct(self, column: Column) -> float | None:
        """Distinct values by statistics: ``n_distinct`` is negative when it is a fraction of the rows."""
        if column.n_distinct is None:
            return None
        if column.n_distinct >= 0:
            return column.n_distinct
        return -column.n_distinct * max(self.estimated_rows or 0, 0)


@dataclass(frozen=True, slots=True)
class Schema:
    """Every table and view the role can read, and the fingerprint it was read at."""

    fingerprint: str
    tables: tuple[Table, ...]
