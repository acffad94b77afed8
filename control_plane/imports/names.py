"""Safe identifiers from whatever a file calls its tables and columns, and the one quoting helper."""

from __future__ import annotations

import re
import unicodedata

from pglast.keywords import RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS

MAX_IDENT_BYTES = 63
_UNSAFE = re.compile(r"[^a-z0-9_]+")
AWKWARD = frozenset(RESERVED_KEYWORDS) | frozenset(TYPE_FUNC_NAME_KEYWORDS)


def quote_ident(name: str) -> str:
    """Double-quoted, embedded quotes doubled: safe for any name Postgres accepts."""
    return '"' + name.replace('"', '""') + '"'


def qualified(table: str) -> str:
    return f"public.{quote_ident(table)}"


def safe_name(raw: str, fallback: str) -> str:
    """Lower case ASCII letters, digits and ``_``; never empty, never a reserved word, at most 63 bytes."""
    folded = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode().lower()
    name = _UNSAFE.sub("_", folded).strip("_")
    if not name:
        name = fallback
    if name[0].isdigit():
        name = f"c_{name}"
    if name in AWKWARD:
        name = f"{name}_"
    return name[:MAX_IDENT_BYTES]


def column_names(headers: list[str]) -> list[str]:
    """One safe name per header, deduplicated with ``_2``, ``_3``...; empty headers become ``column_<n>``."""
    taken: set[str] = set()
    names = []
    for position, header in enumerate(headers, start=1):
        base = safe_name(header, f"column_{position}")
        name, n = base, 1
        while name in taken:
            n += 1
            suffix = f"_{n}"
            name = base[: MAX_IDENT_BYTES - len(suffix)] + suffix
        taken.add(name)
        names.append(name)
    return names
