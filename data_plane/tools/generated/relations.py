"""Foreign keys as tools: ``get_<children>_for_<parent>`` (rows pointing at a parent), and a row's parent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from control_plane.imports.names import quote_ident
from data_plane.tools.contract import QueryLimits, ToolOutcome
from data_plane.tools.generated import render
from data_plane.tools.generated.lookups import key_values
from data_plane.tools.generated.model import ForeignKey, Table
from data_plane.tools.generated.spec import (
    GeneratedTool,
    arguable,
    column_input,
    limit,
    limit_input,
    only,
    relation,
    row_output,
    rows_output,
    select_list,
    tool,
)
from data_plane.tools.running import fetch_read


def build_children(child: Table, fk: ForeignKey, parent: Table, name: str) -> GeneratedTool | None:
    """Rows of ``child`` whose foreign key holds the given parent key values."""
    columns = tuple(child.column(c) for c in fk.columns)
    if not all(arguable(c) for c in columns):
        return None
    where = " AND ".join(f"{quote_ident(c.name)} = ${i + 1}" for i, c in enumerate(columns))
    order = ", ".join(quote_ident(k) for k in child.primary_key)
    sql = (f"SELECT {select_list(child)} FROM {relation(child)} WHERE {where}"
           f"{' ORDER BY ' + order if order else ''} LIMIT ${len(columns) + 1}")
    allowed = frozenset(c.name for c in columns) | {"limit"}

    async def run(args: Mapping[str, Any], conn: asyncpg.Connection, limits: QueryLimits) -> ToolOutcome:
        only(args, allowed)
        count = limit(args)
        records = await fetch_read(conn, sql, [*key_values(columns, args), count + 1], limits)
        return render.rows(records[:count], limits, f"Rows of {child.qualified} for that {parent.qualified}",
                           more=len(records) > count)

    pairs = zip(fk.columns, fk.ref_columns, strict=True)
    refs = ", ".join(f"{c} -> {parent.qualified}.{r}" for c, r in pairs)
    description = f"Rows of {child.qualified} that belong to one row of {parent.qualified} ({refs})."
    properties = {c.name: column_input(c, f"{parent.qualified}.{r} of the parent row")
                  for c, r in zip(columns, fk.ref_columns, strict=True)} | {"limit": limit_input()}
    definition = tool(name, f"{child.qualified} for a {parent.qualified}", description, properties,
                      [c.name for c in columns], rows_output(child))
    return GeneratedTool(name, definition, run, child.qualified)


def build_parent(child: Table, fk: ForeignKey, parent: Table, name: str) -> GeneratedTool | None:
    """The row of ``parent`` that one row of ``child`` (by its primary key) points at."""
    key = tuple(child.column(k) for k in child.primary_key)
    if not key or not all(arguable(c) for c in key):
        return None
    on = " AND ".join(f"p.{quote_ident(r)} = c.{quote_ident(f)}"
                      for f, r in zip(fk.columns, fk.ref_columns, strict=True))
    where = " AND ".join(f"c.{quote_ident(k.name)} = ${i + 1}" for i, k in enumerate(key))
    cols = ", ".join(f"p.{quote_ident(c.name)}" for c in parent.columns)
    sql = f"SELECT {cols} FROM {relation(parent)} p JOIN {relation(child)} c ON {on} WHERE {where}"
    allowed = frozenset(k.name for k in key)

    async def run(args: Mapping[str, Any], conn: asyncpg.Connection, limits: QueryLimits) -> ToolOutcome:
        only(args, allowed)
        records = await fetch_read(conn, sql, key_values(key, args), limits)
        return render.one(records[0] if records else None, limits, f"Row of {parent.qualified}",
                          f"no {child.qualified} row with that key, or it has no {parent.qualified} row")

    description = (f"The row of {parent.qualified} that one row of {child.qualified} refers to "
                   f"(through {', '.join(fk.columns)}); give that {child.qualified} row's primary key.")
    properties = {k.name: column_input(k, f"{child.qualified}.{k.name} ({k.type})") for k in key}
    definition = tool(name, f"{parent.qualified} of a {child.qualified}", description, properties,
                      [k.name for k in key], row_output(parent))
    return GeneratedTool(name, definition, run, parent.qualified)
