"""``list_<t>``: a page of rows in an indexed order, with an opaque keyset cursor (an offset with no key)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from control_plane.imports.names import quote_ident
from data_plane.tools.contract import QueryLimits, ToolArgumentError, ToolOutcome
from data_plane.tools.generated import render
from data_plane.tools.generated.model import Column, Table
from data_plane.tools.generated.spec import (
    GeneratedTool,
    arguable,
    decode_cursor,
    encode_cursor,
    limit,
    limit_input,
    only,
    relation,
    rows_output,
    select_list,
    tool,
    value,
)
from data_plane.tools.generated.types import DATE_KINDS, to_json
from data_plane.tools.running import fetch_read

_ARGS = frozenset({"limit", "cursor", "order_by", "direction"})
_DATE_HINTS = ("created", "updated", "modified", "ordered", "date", "time", "_at", "_on")


@dataclass(frozen=True, slots=True)
class Page:
    """The two statements of one (order, direction): the first page, and the page after a key."""

    first: str
    after: str
    key: tuple[Column, ...]


def date_column(table: Table) -> Column | None:
    """The most useful date to sort by: NOT NULL, named like a creation or event date, indexed first."""
    indexed = {index.columns[0] for index in table.indexes if index.columns and index.method == "btree"}
    dates = [c for c in table.columns if c.kind in DATE_KINDS and not c.nullable]
    if not dates:
        return None
    return max(dates, key=lambda c: (c.name in indexed, any(h in c.name.lower() for h in _DATE_HINTS),
                                     c.kind != "date", -table.columns.index(c)))


def orderable(table: Table) -> list[Column]:
    """Columns a page may be ordered by: NOT NULL, first in a btree index (the key included), or the date."""
    firsts = [index.columns[0] for index in table.indexes if index.columns and index.method == "btree"]
    chosen = [*table.primary_key[:1], *firsts]
    date = date_column(table)
    if date is not None:
        chosen.append(date.name)
    names = dict.fromkeys(n for n in chosen if n)
    return [c for c in table.columns if c.name in names and not c.nullable and arguable(c)]


def _page(table: Table, order: Column, direction: str, keyed: bool) -> Page:
    base = f"SELECT {select_list(table)} FROM {relation(table)}"
    if not keyed:
        ordering = f"{quote_ident(order.name)} {direction.upper()}"
        first = f"{base} ORDER BY {ordering} LIMIT $1"
        return Page(first, f"{first} OFFSET $2", ())
    key = (order, *(table.column(k) for k in table.primary_key if k != order.name))
    names = ", ".join(quote_ident(c.name) for c in key)
    ordering = ", ".join(f"{quote_ident(c.name)} {direction.upper()}" for c in key)
    params = ", ".join(f"${i + 2}" for i in range(len(key)))
    comparison = "<" if direction == "desc" else ">"
    return Page(f"{base} ORDER BY {ordering} LIMIT $1",
                f"{base} WHERE ({names}) {comparison} ({params}) ORDER BY {ordering} LIMIT $1", key)


def build(table: Table, name: str) -> GeneratedTool | None:
    keyed = bool(table.primary_key) and all(arguable(table.column(k)) for k in table.primary_key)
    orders = orderable(table) if keyed else [c for c in table.columns if arguable(c)]
    if not orders:
        return None
    date = date_column(table)
    default = date if date is not None and date in orders else orders[0]
    default_dir = "desc" if default.kind in DATE_KINDS else "asc"
    pages = {(c.name, d): _page(table, c, d, keyed) for c in orders for d in ("asc", "desc")}
    run = _runner(pages, default.name, default_dir, keyed)
    description = (
        f"List rows of {table.qualified} ({table.kind}, ~{table.estimated_rows or 0} rows), "
        f"{DEFAULT_ORDER.format(default.name, default_dir)}. Page with the returned next_cursor."
    )
    properties = {
        "limit": limit_input(),
        "cursor": {"type": "string", "description": "next_cursor from the previous page."},
        "order_by": {"type": "string", "enum": [c.name for c in orders], "default": default.name,
                     "description": "Column to order by."},
        "direction": {"type": "string", "enum": ["asc", "desc"], "default": default_dir},
    }
    definition = tool(name, f"List {table.qualified}", description, properties, (), rows_output(table, True))
    return GeneratedTool(name, definition, run, table.qualified)


DEFAULT_ORDER = "by default ordered by {} {}"


def _runner(pages: dict[tuple[str, str], Page], order: str, direction: str, keyed: bool) -> Any:
    async def run(args: Mapping[str, Any], conn: asyncpg.Connection, limits: QueryLimits) -> ToolOutcome:
        only(args, _ARGS)
        count = limit(args)
        chosen = (args.get("order_by", order), args.get("direction", direction))
        state = decode_cursor(args["cursor"]) if args.get("cursor") is not None else None
        if state is not None:
            chosen = _cursor_order(state, chosen, args)
        page = pages.get(chosen)
        if page is None:
            raise ToolArgumentError("'order_by' must be a listed column and 'direction' asc or desc")
        sql, params = (page.first, [count + 1]) if state is None else _after(page, state, count, keyed)
        records = await fetch_read(conn, sql, params, limits)
        more = len(records) > count
        records = records[:count]
        next_cursor = _next(page, chosen, records, state, keyed) if more and records else None
        return render.rows(records, limits, "Rows", {"next_cursor": next_cursor})
    return run


def _cursor_order(state: dict[str, Any], chosen: tuple[Any, Any], args: Mapping[str, Any]) -> tuple[Any, Any]:
    from_cursor = (state.get("o"), state.get("d"))
    given = [("order_by", 0), ("direction", 1)]
    if any(key in args and args[key] != from_cursor[i] for key, i in given):
        raise ToolArgumentError("the cursor was made for another order_by or direction; drop one of them")
    return from_cursor


def _after(page: Page, state: dict[str, Any], count: int, keyed: bool) -> tuple[str, list[Any]]:
    if not keyed:
        offset = state.get("n")
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise ToolArgumentError("'cursor' must be a cursor returned by this tool")
        return page.after, [count + 1, offset]
    keys = state.get("k")
    if not isinstance(keys, list) or len(keys) != len(page.key):
        raise ToolArgumentError("'cursor' must be a cursor returned by this tool")
    return page.after, [count + 1, *(value(c, v, "cursor") for c, v in zip(page.key, keys, strict=True))]


def _next(page: Page, chosen: tuple[Any, Any], records: list[asyncpg.Record],
          state: dict[str, Any] | None, keyed: bool) -> str:
    if not keyed:
        start = state.get("n", 0) if state else 0
        return encode_cursor({"o": chosen[0], "d": chosen[1], "n": start + len(records)})
    last = records[-1]
    return encode_cursor({"o": chosen[0], "d": chosen[1], "k": [to_json(last[c.name]) for c in page.key]})
