"""A chunk of one column's raw cells checked in Arrow: what ``Columns.add`` decides, or None when unsure.

``bulk.observe`` runs one regular expression over a joined batch in Python;
here the same patterns run in Arrow's compute kernels (RE2, no GIL per value)
over a column chunk of the fast CSV scan. Only decisions that provably match
the exact path are taken here: RE2 and Python's ``re`` agree on these
ASCII-only patterns (no case-insensitive flag: ``(?i)`` would fold ``ſ`` to
``s`` in RE2), dates are checked with ``date.fromisoformat`` on each distinct
value, timestamps and times first against a stricter pattern whose every match
``fromisoformat`` accepts, else with ``fromisoformat`` on each distinct value.
A chunk no check admits, or an integer beyond 64 bits, returns None with
``stats`` untouched: the caller then runs the exact path on it.

The number checks nest (an integer also matches the decimal pattern), so they
are decided together, as ``bulk.CHECKS`` orders them; every other check admits
values no other one does, so the check that passed on the last chunk is tried
first.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import accumulate

import pyarrow as pa
import pyarrow.compute as pc

from control_plane.imports import bulk
from control_plane.imports.bulk import CLOCK, DAY, DEC, INT, UUID, ZONE
from control_plane.imports.inference import BOOL_WORDS, NUMBERS, Kind, Stats

KNOWN_VALUES = 100_000
# What ``str.strip()`` removes (every character ``str.isspace`` admits; a test proves the list whole), so
# that ``utf8_trim`` then ``is_in`` is ``cell.strip() in markers``.
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
              "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")

_INF = "[iI][nN][fF](?:[iI][nN][iI][tT][yY])?"
# bulk's exponent pattern is matched case-insensitively; RE2 would fold more than ASCII, so spell it out
_EXP = rf"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+|{_INF}|[nN][aA][nN]|-{_INF}"
# Every match is a clock and an offset ``fromisoformat`` accepts (hours 0-23, minutes and seconds 0-59).
_SURE_CLOCK = r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
_SURE_ZONE = r"(?:Z|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)"


def strings(values: list[str]) -> pa.Array:
    """An Arrow array of ``values`` built from its buffers: ``pa.array`` of a list imports pandas (40 MiB)."""
    data = [v.encode() for v in values]
    offsets = [0, *accumulate(map(len, data))]
    return pa.StringArray.from_buffers(len(values), pa.py_buffer(struct.pack(f"<{len(offsets)}i", *offsets)),
                                       pa.py_buffer(b"".join(data)))


_BOOL_WORDS = strings(sorted(BOOL_WORDS))
_ZERO, _ONE = pc.cast(strings(["0", "1"]), pa.int32())  # scalars made so, for the same reason


def _whole(pattern: str) -> str:
    return f"^(?:{pattern})$"


def _all(values: pa.Array, pattern: str) -> bool:
    return bool(pc.all(pc.match_substring_regex(values, _whole(pattern))).as_py())


def _each_distinct(values: pa.Array, parse: Callable[[str], object], known: set[str]) -> bool:
    """``parse`` accepts each distinct value not in ``known`` (those it accepted on earlier chunks)."""
    fresh = set(pc.unique(values).to_pylist()) - known
    try:
        for value in fresh:
            parse(value)
    except ValueError:
        return False
    if len(known) < KNOWN_VALUES:
        known |= fresh
    return True


@dataclass(frozen=True)
class Check:
    kinds: int  # tried while the column may still be one of these
    mask: int
    passes: Callable[[pa.Array, set[str]], bool]


def _days(separator: str) -> Callable[[pa.Array, set[str]], bool]:
    pattern = DAY.replace("-", separator)

    def passes(values: pa.Array, known: set[str]) -> bool:
        return _all(values, pattern) and _each_distinct(values, _date, known)
    return passes


def _date(value: str) -> date:
    return date.fromisoformat(value.replace("/", "-"))


def _stamps(zone: str, sure_zone: str) -> Callable[[pa.Array, set[str]], bool]:
    def passes(values: pa.Array, known: set[str]) -> bool:
        if _all(values, f"{DAY}[T ]{_SURE_CLOCK}{sure_zone}"):  # implies the pattern below
            return _each_distinct(pc.utf8_slice_codeunits(values, 0, 10), date.fromisoformat, known)
        matched = _all(values, f"{DAY}[T ]{CLOCK}{zone}")
        return matched and _each_distinct(values, datetime.fromisoformat, set())
    return passes


def _booleans(values: pa.Array, known: set[str]) -> bool:
    """``v.lower() in BOOL_WORDS`` for ASCII spellings; ``ascii_lower`` leaves other letters alone."""
    return bool(pc.all(pc.is_in(pc.ascii_lower(values), value_set=_BOOL_WORDS)).as_py())


def _times(values: pa.Array, known: set[str]) -> bool:
    if _all(values, _SURE_CLOCK):  # implies the pattern below
        return True
    return _all(values, CLOCK) and _each_distinct(values, time.fromisoformat, set())


CHECKS = (
    Check(Kind.BOOLEAN, Kind.BOOLEAN, _booleans),
    Check(Kind.DATE | Kind.TIMESTAMP, Kind.DATE | Kind.TIMESTAMP, _days("-")),
    Check(Kind.DATE | Kind.TIMESTAMP, Kind.DATE | Kind.TIMESTAMP, _days("/")),
    Check(Kind.TIMESTAMP, Kind.TIMESTAMP, _stamps("", "")),
    Check(Kind.TIMESTAMPTZ, Kind.TIMESTAMPTZ, _stamps(ZONE, _SURE_ZONE)),
    Check(Kind.TIME, Kind.TIME, _times),
    Check(Kind.UUID, Kind.UUID, lambda values, known: _all(values, UUID)),
)


class Column:
    """One column's ``Stats`` and the check that passed on its last chunk."""

    def __init__(self, stats: Stats, markers: frozenset[str]) -> None:
        self.stats = stats
        self.markers = strings(sorted(markers))
        self.last: Check | None = None
        self.known: set[str] = set()  # dates already parsed: a date column repeats a few thousand days

    def add(self, cells: pa.Array) -> set[str] | None:
        """Add a chunk as ``Columns.add`` would; the null markers met, or None (``stats`` untouched).

        A value some check admits holds no blank, so it is null exactly when it is a marker as it stands;
        only a chunk no check admits (text) needs each value stripped first, as ``str.strip`` does.
        """
        null = pc.is_in(cells, value_set=self.markers)
        values = _without(cells, null)
        if not (self.stats.kinds and len(values) and self._observe(values)):
            if self.stats.kinds and len(values):
                return None
            null = pc.is_in(pc.utf8_trim(cells, WHITESPACE), value_set=self.markers)
            values = _without(cells, null)
        nulls = len(cells) - len(values)
        self.stats.nulls += nulls
        self.stats.seen += len(values)
        return set(pc.unique(pc.filter(cells, null)).to_pylist()) if nulls else set()

    def _observe(self, values: pa.Array) -> bool:
        stats = self.stats
        if stats.kinds & NUMBERS:
            numbers = _numbers(stats, values)
            if numbers is not False:
                return bool(numbers)
        tried = ([self.last] if self.last else []) + [c for c in CHECKS if c is not self.last]
        for check in tried:
            if stats.kinds & check.kinds and check.passes(values, self.known):
                stats.kinds &= check.mask
                self.last = check
                return True
        return False


def _without(cells: pa.Array, null: pa.Array) -> pa.Array:
    return pc.filter(cells, pc.invert(null)) if pc.any(null).as_py() else cells


def _numbers(stats: Stats, values: pa.Array) -> bool | None:
    """True when a number check admits the chunk (stats updated), False when none does, None when unsure."""
    if _all(values, f"{INT}|{DEC}"):
        point = pc.find_substring(values, ".")
        if pc.max(point).as_py() < 0:
            return _integers(stats, values)
        signed = pc.cast(pc.starts_with(values, "-"), pa.int32())
        _decimals(stats, values, point, pc.add(signed, pc.cast(pc.starts_with(values, "+"), pa.int32())))
        return True
    if _all(values, f"{INT}|{DEC}|{_EXP}"):
        stats.kinds &= Kind.DOUBLE
        return True
    return False


def _integers(stats: Stats, values: pa.Array) -> bool | None:
    length = pc.binary_length(values)
    signed = pc.or_(pc.starts_with(values, "-"), pc.starts_with(values, "+"))
    digits = pc.subtract(length, pc.cast(signed, pa.int32()))
    widest = pc.max(digits).as_py()
    if widest > 18 or pc.any(pc.starts_with(values, "+")).as_py():
        return None  # beyond int64, or spelled with a plus Arrow's cast refuses: the exact path
    low, high = pc.min_max(pc.cast(values, pa.int64())).values()
    stats.widen_integers(low.as_py(), high.as_py(), widest)
    stats.kinds &= NUMBERS
    return True


def widen(stats: Stats, cells: pa.Array, markers: pa.Array) -> None:
    """Widen a number column's ``stats`` by a chunk, roughly and fast: enough to foresee its type.

    Unsigned integers and decimals, the common spellings, are measured by
    kernels that need no regular expression (a tenth of the checks' time);
    other chunks go through the number checks (those they are unsure of, such
    as integers beyond 64 bits, through ``bulk.observe``), and a chunk they do
    not admit makes the column no number. Only a guess (a leading zero passes,
    a value padded with blanks does not): the full scan decides the type.
    """
    values = _without(cells, pc.is_in(cells, value_set=markers))
    if not (stats.kinds & NUMBERS and len(values)) or _unsigned(stats, values):
        return
    found = _numbers(stats, values)
    if found is None:
        bulk.observe(stats, values.to_pylist())
    elif not found:
        stats.kinds &= ~NUMBERS


def _unsigned(stats: Stats, values: pa.Array) -> bool:
    if pc.all(pc.ascii_is_decimal(values)).as_py():
        widest = pc.max(pc.binary_length(values)).as_py()
        if widest > 18:
            return False
        low, high = pc.min_max(pc.cast(values, pa.int64())).values()
        stats.widen_integers(low.as_py(), high.as_py(), widest)
        stats.kinds &= NUMBERS
        return True
    if not pc.all(pc.ascii_is_decimal(pc.replace_substring(values, ".", "", max_replacements=1))).as_py():
        return False
    _decimals(stats, values, pc.find_substring(values, "."), None)
    return True


def _decimals(stats: Stats, values: pa.Array, point: pa.Array, signs: pa.Array | None) -> None:
    """Decimals' digits before and after the point (``point``: where it is, or -1; ``signs``: 1 where a sign
    leads, None if none does)."""
    length = pc.binary_length(values)
    none = pc.less(point, _ZERO)
    whole = pc.if_else(none, length, point)
    fraction = pc.if_else(none, _ZERO, pc.subtract(pc.subtract(length, point), _ONE))
    whole = whole if signs is None else pc.subtract(whole, signs)
    stats.widen_decimals(pc.max(whole).as_py(), pc.max(fraction).as_py())
    stats.kinds &= Kind.NUMERIC | Kind.DOUBLE
