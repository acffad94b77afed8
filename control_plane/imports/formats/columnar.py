"""Parquet: its own schema mapped to Postgres types, read row group by row group in batches (pyarrow).

No inference: the file says its types. Nested values (lists, structs, maps)
become ``jsonb``; a type with no counterpart is loaded as its text.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pyarrow.types as pt

from control_plane.errors import InvalidParquet, NoRows, TooManyColumns
from control_plane.imports.formats.base import MAX_COLUMNS, Row, Shape
from control_plane.imports.inference import Stats

BATCH_ROWS = 5_000


def pg_type(arrow: pa.DataType) -> str:
    """The Postgres type a Parquet column's values load into."""
    if pt.is_dictionary(arrow):
        return pg_type(arrow.value_type)
    simple = [(pt.is_boolean, "boolean"), (pt.is_int8, "smallint"), (pt.is_int16, "smallint"),
              (pt.is_uint8, "smallint"), (pt.is_int32, "integer"), (pt.is_uint16, "integer"),
              (pt.is_int64, "bigint"), (pt.is_uint32, "bigint"), (pt.is_uint64, "numeric(20,0)"),
              (pt.is_float16, "real"), (pt.is_float32, "real"), (pt.is_float64, "double precision"),
              (pt.is_string, "text"), (pt.is_large_string, "text"), (pt.is_date, "date"),
              (pt.is_time, "time"), (pt.is_binary, "bytea"), (pt.is_large_binary, "bytea")]
    for test, name in simple:
        if test(arrow):
            return name
    if pt.is_decimal(arrow):
        return f"numeric({arrow.precision},{arrow.scale})"
    if pt.is_timestamp(arrow):
        return "timestamptz" if arrow.tz else "timestamp"
    if pt.is_nested(arrow):
        return "jsonb"
    return "text"


def _value(value: Any, kind: str) -> Any:
    if value is None or kind not in ("jsonb", "text"):
        return value
    if kind == "jsonb":
        return orjson.dumps(value, default=str).decode()
    return value if isinstance(value, str) else str(value)


def _values(column: pa.Array) -> list[Any]:
    """A column's values as Python objects. A zoned timestamp is read as its UTC instant and given
    UTC here: pyarrow zones it through pandas, whose import alone costs about 40 MiB of memory."""
    kind = column.type
    if pt.is_timestamp(kind) and kind.tz:
        instants = column.cast(pa.timestamp(kind.unit)).to_pylist()
        return [None if v is None else v.replace(tzinfo=UTC) for v in instants]
    values: list[Any] = column.to_pylist()
    return values


class ParquetSource:
    """The one table of a Parquet file."""

    def __init__(self, path: Path, *, name: str | None) -> None:
        self.name = name
        self.path = path
        self._done = 0

    def bytes_read(self) -> int:
        return self._done

    def _open(self) -> pq.ParquetFile:
        try:
            return pq.ParquetFile(self.path)
        except (pa.ArrowException, OSError) as exc:
            raise InvalidParquet(f"not a readable Parquet file: {exc}") from exc

    def scan(self) -> Shape:
        schema = self._open().schema_arrow
        if len(schema) > MAX_COLUMNS:
            raise TooManyColumns(f"{len(schema)} columns; Postgres allows at most {MAX_COLUMNS}")
        rows = self._open().metadata.num_rows
        if rows == 0:
            raise NoRows("the file holds no rows")
        return Shape([f.name for f in schema], [Stats() for _ in schema], rows,
                     declared=[pg_type(f.type) for f in schema])

    def rows(self, shape: Shape) -> Iterator[Row]:
        kinds = shape.declared or []
        parquet = self._open()
        for group in range(parquet.num_row_groups):
            for batch in parquet.iter_batches(batch_size=BATCH_ROWS, row_groups=[group]):
                columns = [_values(batch.column(i)) for i in range(batch.num_columns)]
                for values in zip(*columns, strict=True):
                    yield [_value(v, k) for v, k in zip(values, kinds, strict=True)]
            self._done += parquet.metadata.row_group(group).total_byte_size
