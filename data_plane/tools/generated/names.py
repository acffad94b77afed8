"""Tool names from table and column names: MCP's characters (letters, digits, ``_ - .``), at most 64, stable.

A name is folded to lower-case ASCII (accents dropped, anything else ``_``);
a table outside ``public`` is prefixed with its schema. Whatever is cut or
folded together is told apart by a short digest of the original, so the same
schema always gives the same names and two tables never share one.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

MAX_NAME = 64
_UNSAFE = re.compile(r"[^a-z0-9]+")
_DIGEST = 6


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:_DIGEST]


def slug(raw: str) -> str:
    """Lower-case ASCII letters, digits and single underscores; ``x`` when nothing is left."""
    folded = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode().lower()
    return _UNSAFE.sub("_", folded).strip("_") or "x"


def table_slugs(tables: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """A distinct slug per (schema, table): ``orders``, ``sales_orders``, ``orders_1a2b3c`` on a clash."""
    wanted: dict[tuple[str, str], str] = {}
    for schema, name in tables:
        base = slug(name) if schema == "public" else f"{slug(schema)}_{slug(name)}"
        wanted[(schema, name)] = base
    counts: dict[str, int] = {}
    for base in wanted.values():
        counts[base] = counts.get(base, 0) + 1
    return {key: base if counts[base] == 1 or _verbatim(key, base) else f"{base}_{digest('.'.join(key))}"
            for key, base in wanted.items()}


def _verbatim(key: tuple[str, str], base: str) -> bool:
    """The one table of a clash that keeps the plain slug: ``public`` and named exactly so."""
    return key == ("public", base)


def fit(name: str) -> str:
    """``name`` if it is short enough, else cut and told apart by a digest of the whole."""
    if len(name) <= MAX_NAME:
        return name
    return f"{name[:MAX_NAME - _DIGEST - 1].rstrip('_')}_{digest(name)}"


def columns_part(columns: Iterable[str]) -> str:
    return "_and_".join(slug(c) for c in columns)


def unique(names: list[str], taken: set[str]) -> list[str]:
    """The same names with any repeat (after cutting, or of a name in ``taken``) told apart by a digest."""
    seen = set(taken)
    out = []
    for index, name in enumerate(names):
        candidate = name
        if candidate in seen:
            candidate = fit(f"{name[:MAX_NAME - 2 * _DIGEST - 2]}_{digest(name + str(index))}")
        seen.add(candidate)
        out.append(candidate)
    return out
