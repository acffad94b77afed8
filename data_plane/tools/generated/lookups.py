"""``get_<t>_by_<pk>``, ``search_<t>`` and ``filter_<t>``: rows found by key, by text, by typed conditions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import asyncpg

from control_plane.imports.names import quote_ident
from data_plane.tools.contract import QueryLimits, ToolArgumentError, ToolOutcome
from data_plane.tools.generated import render
from data_plane.tools.generated.model import Column, Table
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
    value,
)
from data_plane.tools.running import fetch_read

MAX_SEARCH_COLUMNS = 8
MAX_QUERY = 200
MAX_ENUM = 20
_REGCONFIG = re.compile(r"^to_tsvector\('([a-z_]+)'::regconfig, ([a-z_][a-z0-9_]*|\"[^\"]+\")\)$")


def key_where(columns: tuple[Column, ...], first: int = 1) -> str:
    return " AND ".join(f"{quote_ident(c.name)} = ${first + i}" for i, c in enumerate(columns))


def key_values(columns: tuple[Column, ...], args: Mapping[str, Any]) -> list[Any]:
    missing = [c.name for c in columns if args.get(c.name) is None]
    if missing:
        raise ToolArgumentError(f"required: {', '.join(missing)}")
    return [value(c, args[c.name], c.name) for c in columns]


def build_get(table: Table, name: str) -> GeneratedTool | None:
    key = tuple(table.column(k) for k in table.primary_key)
    if not key or not all(arguable(c) for c in key):
        return None
    sql = f"SELECT {select_list(table)} FROM {relation(table)} WHERE {key_where(key)}"
    allowed = frozenset(c.name for c in key)

    async def run(args: Mapping[str, Any], conn: asyncpg.Connection, limits: QueryLimits) -> ToolOutcome:
        only(args, allowed)
        params = key_values(key, args)
        records = await fetch_read(conn, sql, params, limits)
        wanted = ", ".join(f"{c.name}={args[c.name]!r}" for c in key)
        return render.one(records[0] if records else None, limits, f"Row of {table.qualified}",
                          f"no row of {table.qualified} with {wanted}")

    description = f"One row of {table.qualified} by its primary key ({', '.join(allowed)})."
    properties = {c.name: column_input(c) for c in key}
    definition = tool(name, f"Get a row of {table.qualified}", description, properties,
                      [c.name for c in key], row_output(table))
    return GeneratedTool(name, definition, run, table.qualified)


def _search_plan(table: Table) -> tuple[str, str, bool] | None:
    """The WHERE clause over $1, how it searches, and whether $1 is a LIKE pattern (else the text itself)."""
    for index in table.indexes:
        match = _REGCONFIG.match(index.expression) if index.search == "fts" else None
        if match and match.group(2).strip('"') in {c.name for c in table.columns}:
            config, column = match.group(1), match.group(2).strip('"')
            expression = f"to_tsvector('{config}'::regconfig, {quote_ident(column)})"
            # The configuration is the index's own regconfig name, letters and _ only (_REGCONFIG).
            return (f"{expression} @@ websearch_to_tsquery('{config}'::regconfig, $1)",
                    f"full-text search ({config}) over {column}", False)
    trigram = [c for c in table.columns for i in table.indexes if i.search == "trgm" and c.name in i.columns]
    texts = trigram or [c for c in table.columns if c.kind == "text"][:MAX_SEARCH_COLUMNS]
    if not texts:
        return None
    names = ", ".join(c.name for c in texts)
    clause = " OR ".join(f"{quote_ident(c.name)} ILIKE $1" for c in texts)
    return f"({clause})", f"case-insensitive substring match over {names}", True


def build_search(table: Table, name: str) -> GeneratedTool | None:
    plan = _search_plan(table)
    if plan is None:
        return None
    where, how, like = plan
    sql = f"SELECT {select_list(table)} FROM {relation(table)} WHERE {where} LIMIT $2"
    allowed = frozenset({"q", "limit"})

    async def run(args: Mapping[str, Any], conn: asyncpg.Connection, limits: QueryLimits) -> ToolOutcome:
        only(args, allowed)
        text = args.get("q")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_QUERY or "\x00" in text:
            raise ToolArgumentError(f"'q' is required: a non-empty string of at most {MAX_QUERY} characters")
        count = limit(args)
        needle = _pattern(text) if like else text
        records = await fetch_read(conn, sql, [needle, count], limits)
        return render.rows(records, limits, f"Matches in {table.qualified}")

    description = f"Search rows of {table.qualified}: {how}."
    text = {"type": "string", "minLength": 1, "maxLength": MAX_QUERY, "description": "Text to find."}
    properties = {"q": text, "limit": limit_input()}
    definition = tool(name, f"Search {table.qualified}", description, properties, ["q"], rows_output(table))
    return GeneratedTool(name, definition, run, table.qualified)


def _pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its own wildcards taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
