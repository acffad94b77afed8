"""Column types inferred from every value: each value rules out the kinds it does not fit.

A column starts able to be anything; each non-null value clears the kinds it
cannot be. What is left after the last value picks the type, most specific
first; a column where no kind survives (or only nulls were seen) is ``text``.
Integers with a leading zero (``007``, zip codes) are not numbers: the zeros
would be lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import IntFlag

import orjson


class Kind(IntFlag):
    BOOLEAN = 1
    INTEGER = 2
    NUMERIC = 4
    DOUBLE = 8
    DATE = 16
    TIMESTAMP = 32
    TIMESTAMPTZ = 64
    TIME = 128
    UUID = 256
    JSONB = 512


ANY = Kind(1023)
# Plain ints for the per-value path: IntFlag arithmetic builds an enum member per operation.
_BOOLEAN, _INTEGER, _NUMERIC, _DOUBLE = 1, 2, 4, 8
_DATE_K, _TIMESTAMP, _TIMESTAMPTZ, _TIME_K, _UUID_K, _JSONB = 16, 32, 64, 128, 256, 512
NUMBERS = _INTEGER | _NUMERIC | _DOUBLE
TEMPORAL = _DATE_K | _TIMESTAMP | _TIMESTAMPTZ | _TIME_K
TRUE_WORDS = frozenset({"true", "t", "yes"})
BOOL_WORDS = TRUE_WORDS | {"false", "f", "no"}
SMALLINT, INTEGER, BIGINT = 2**15, 2**31, 2**63
MAX_NUMERIC_PRECISION = 1000

_INT = re.compile(r"[+-]?(0|[1-9]\d*)")
_DECIMAL = re.compile(r"[+-]?(0|[1-9]\d*)?\.(\d+)|[+-]?(0|[1-9]\d*)\.")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+|[+-]?(inf|infinity|nan)", re.IGNORECASE)
_DATE = re.compile(r"\d{4}[-/]\d{2}[-/]\d{2}")
_STAMP = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)"
                    r"(Z|[+-]\d{2}(?::?\d{2})?)?")
_TIME = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def parse_date(value: str) -> date:
    return date.fromisoformat(value.strip().replace("/", "-"))


def parse_stamp(value: str) -> datetime:
    text = value.strip()
    if _DATE.fullmatch(text):
        return datetime.combine(parse_date(text), time())
    return datetime.fromisoformat(text)


def parse_time(value: str) -> time:
    return time.fromisoformat(value.strip())


def _valid(parse: object, value: str) -> bool:
    try:
        parse(value)  # type: ignore[operator]
    except ValueError:
        return False
    return True


@dataclass
class Stats:
    """What one column's values have shown so far.

    ``as_written`` holds the kinds whose every value so far was checked in
    bulk (``bulk.observe``), i.e. spelled the way Postgres's own input reads
    as the converters would; a value seen one by one leaves only ``jsonb``.
    """

    kinds: int = int(ANY)
    seen: int = 0
    nulls: int = 0
    low: int = 0
    high: int = 0
    int_digits: int = 1
    scale: int = 0
    as_written: int = int(ANY)

    def observe(self, value: str | None) -> None:
        if value is None:
            self.nulls += 1
            return
        self.seen += 1
        self.as_written &= _JSONB
        if self.kinds:
            self.kinds &= self._fits(value.strip())

    def widen_integers(self, low: int, high: int, digits: int) -> None:
        """Take in a batch of integers: its extremes and its most digits (signs not counted)."""
        self.low, self.high = min(self.low, low), max(self.high, high)
        self.int_digits = max(self.int_digits, digits)

    def widen_decimals(self, whole: int, scale: int) -> None:
        """Take in a batch of decimals: its most digits before the point and after it."""
        self.int_digits, self.scale = max(self.int_digits, whole), max(self.scale, scale)

    def join(self, other: Stats) -> None:
        """Take in what ``other`` saw of the same column in another part of the file."""
        self.kinds &= other.kinds
        self.as_written &= other.as_written
        self.seen, self.nulls = self.seen + other.seen, self.nulls + other.nulls
        self.widen_integers(other.low, other.high, other.int_digits)
        self.widen_decimals(other.int_digits, other.scale)

    def copyable(self) -> bool:
        """Whether Postgres may read this column's values as written (text always can)."""
        return not self.kinds & ~self.as_written

    def _fits(self, value: str) -> int:
        fits = 0
        kinds = self.kinds
        if kinds & _BOOLEAN and value.lower() in BOOL_WORDS:
            fits |= _BOOLEAN
        if kinds & NUMBERS:
            fits |= self._number(value)
        if kinds & TEMPORAL:
            fits |= _temporal(value)
        if kinds & _UUID_K and _UUID.fullmatch(value):
            fits |= _UUID_K
        if kinds & _JSONB and value[:1] in ("{", "[") and _is_json(value):
            fits |= _JSONB
        return fits

    def _number(self, value: str) -> int:
        if _INT.fullmatch(value):
            number = int(value)
            self.low, self.high = min(self.low, number), max(self.high, number)
            self.int_digits = max(self.int_digits, len(value.lstrip("+-")))
            return NUMBERS
        match = _DECIMAL.fullmatch(value)
        if match:
            whole, _, fraction = value.lstrip("+-").partition(".")
            self.int_digits = max(self.int_digits, len(whole))
            self.scale = max(self.scale, len(fraction))
            return _NUMERIC | _DOUBLE
        return _DOUBLE if _FLOAT.fullmatch(value) else 0


def _temporal(value: str) -> int:
    if _DATE.fullmatch(value):
        return _DATE_K | _TIMESTAMP if _valid(parse_date, value) else 0
    match = _STAMP.fullmatch(value)
    if match:
        if not _valid(datetime.fromisoformat, value):
            return 0
        return _TIMESTAMPTZ if match.group(3) else _TIMESTAMP
    if _TIME.fullmatch(value) and _valid(parse_time, value):
        return _TIME_K
    return 0
def _is_json(value: str) -> bool:
    try:
        orjson.loads(value)
    except orjson.JSONDecodeError:
        return False
    return True


def _integer_type(stats: Stats) -> str:
    if -SMALLINT <= stats.low and stats.high < SMALLINT:
        return "smallint"
    if -INTEGER <= stats.low and stats.high < INTEGER:
        return "integer"
    if -BIGINT <= stats.low and stats.high < BIGINT:
        return "bigint"
    return _numeric_type(stats)


def _numeric_type(stats: Stats) -> str:
    precision = stats.int_digits + stats.scale
    if precision > MAX_NUMERIC_PRECISION:
        return "numeric"
    return f"numeric({precision},{stats.scale})"


ORDER: tuple[tuple[Kind, str], ...] = (
    (Kind.BOOLEAN, "boolean"), (Kind.DATE, "date"), (Kind.TIMESTAMP, "timestamp"),
    (Kind.TIMESTAMPTZ, "timestamptz"), (Kind.TIME, "time"), (Kind.UUID, "uuid"), (Kind.JSONB, "jsonb"),
    (Kind.DOUBLE, "double precision"),
)


def resolve(stats: Stats) -> str:
    """The Postgres type every value of the column fits; ``text`` when none does."""
    if stats.seen == 0 or not stats.kinds:
        return "text"
    if stats.kinds & Kind.INTEGER:
        return _integer_type(stats)
    if stats.kinds & Kind.NUMERIC:
        return _numeric_type(stats)
    for kind, name in ORDER:
        if stats.kinds & kind:
            return name
    return "text"
