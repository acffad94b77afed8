"""A batch of one column's values checked at once: one regular expression over the joined batch, in C.

Inference per value (``Stats.observe``) costs microseconds a value; most
columns hold one spelling of one type, which a single ``fullmatch`` over the
batch joined by newlines proves for every value together. Each check below
admits only values that fit exactly its ``mask`` when seen one by one, so
``kinds &= mask`` is what the per-value path would have found. The patterns
are stricter than the per-value ones (ASCII digits, no surrounding blanks, one
date separator): a value they do not admit sends the batch through
``Stats.observe``, which decides exactly as before and marks the column as no
longer ``as_written``. A value they admit is one Postgres's own input function
reads as the converters would, which is what lets the loader COPY the file's
text as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

from control_plane.imports.inference import BOOL_WORDS, NUMBERS, Kind, Stats

# The shapes of values, shared with the Arrow checks (vector.py): ASCII only, so Python's re and RE2 agree.
INT = r"[+-]?(?:0|[1-9][0-9]*)"
DEC = r"[+-]?(?:(?:0|[1-9][0-9]*)\.[0-9]*|\.[0-9]+)"
_EXP = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+|(?:inf|infinity|nan)|-(?:inf|infinity)"
CLOCK = r"[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
DAY = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
ZONE = r"(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)"
_HEX = "[0-9a-fA-F]"
UUID = f"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"
_WHOLE = re.compile(r"^[+-]?([0-9]*)", re.MULTILINE)  # each value's digits before any point
_FRACTION = re.compile(r"\.([0-9]*)")


def _all(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """Matches a newline-joined batch whose every value is one ``pattern``."""
    return re.compile(f"(?:{pattern})(?:\n(?:{pattern}))*", flags)


@dataclass(frozen=True)
class Check:
    kinds: int  # tried while the column may still be one of these
    mask: int   # what every value of a batch that passes fits
    pattern: re.Pattern[str] | None
    valid: Callable[[Stats, list[str], str], bool] = lambda stats, values, joined: True


def _integers(stats: Stats, values: list[str], joined: str) -> bool:
    numbers = list(map(int, values))
    signed = "-" in joined or "+" in joined
    digits = map(len, _WHOLE.findall(joined) if signed else values)
    stats.widen_integers(min(numbers), max(numbers), max(digits, default=0))
    return True


def _decimals(stats: Stats, values: list[str], joined: str) -> bool:
    whole, scale = decimal_digits(joined, len(values)) or (
        max(map(len, _WHOLE.findall(joined)), default=0), max(map(len, _FRACTION.findall(joined)), default=0))
    stats.widen_decimals(whole, scale)
    return True


def decimal_digits(joined: str, count: int) -> tuple[int, int] | None:
    """The most digits before and after the point among ``count`` decimals joined by newlines, when each
    has one point (none unless all do): with signs dropped, the pieces between points and newlines
    alternate whole, fraction."""
    if joined.count(".") != count:
        return None
    pieces = joined.replace("-", "").replace("+", "").replace("\n", ".").split(".")
    return max(map(len, pieces[0::2])), max(map(len, pieces[1::2]))


def _parses(parse: Callable[[str], object]) -> Callable[[Stats, list[str], str], bool]:
    def valid(stats: Stats, values: list[str], joined: str) -> bool:
        try:
            for value in set(values):
                parse(value)
        except ValueError:
            return False
        return True
    return valid


def _booleans(stats: Stats, values: list[str], joined: str) -> bool:
    return {v.lower() for v in set(values)} <= BOOL_WORDS


CHECKS = (
    Check(NUMBERS, NUMBERS, _all(INT), _integers),
    Check(NUMBERS, Kind.NUMERIC | Kind.DOUBLE, _all(f"{INT}|{DEC}"), _decimals),
    Check(NUMBERS, Kind.DOUBLE, _all(f"{INT}|{DEC}|{_EXP}", re.IGNORECASE)),
    Check(Kind.BOOLEAN, Kind.BOOLEAN, None, _booleans),
    Check(Kind.DATE | Kind.TIMESTAMP, Kind.DATE | Kind.TIMESTAMP, _all(DAY), _parses(date.fromisoformat)),
    Check(Kind.DATE | Kind.TIMESTAMP, Kind.DATE | Kind.TIMESTAMP, _all(r"[0-9]{4}/[0-9]{2}/[0-9]{2}"),
          _parses(lambda v: date.fromisoformat(v.replace("/", "-")))),
    Check(Kind.TIMESTAMP, Kind.TIMESTAMP, _all(f"{DAY}[T ]{CLOCK}"), _parses(datetime.fromisoformat)),
    Check(Kind.TIMESTAMPTZ, Kind.TIMESTAMPTZ, _all(f"{DAY}[T ]{CLOCK}{ZONE}"),
          _parses(datetime.fromisoformat)),
    Check(Kind.TIME, Kind.TIME, _all(CLOCK), _parses(time.fromisoformat)),
    Check(Kind.UUID, Kind.UUID, _all(UUID)),
)


def observe(stats: Stats, values: list[str]) -> None:
    """Observe a batch of non-null values, as ``Stats.observe`` would one by one."""
    if not stats.kinds or not values:
        stats.seen += len(values)
        return
    joined = "\n".join(values)
    if joined.count("\n") == len(values) - 1:
        for check in CHECKS:
            if stats.kinds & check.kinds and _passes(check, stats, values, joined):
                stats.kinds &= check.mask
                stats.seen += len(values)
                return
    for value in values:
        stats.observe(value)


def _passes(check: Check, stats: Stats, values: list[str], joined: str) -> bool:
    if check.pattern is not None and not check.pattern.fullmatch(joined):
        return False
    return check.valid(stats, values, joined)
