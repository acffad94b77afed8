"""``insert_<t>``, ``update_<t>_by_<pk>``, ``delete_<t>_by_<pk>``: one row each, by parameters, returned.

Offered only when the endpoint allows writes and the token may write. The
column list of an insert or update depends on which arguments were given; each
such statement is built from quoted identifiers once and kept (a bounded number
per tool).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import asyncpg

from control_plane.imports.names import quote_ident
from data_plane.tools.contract import QueryLimits, ToolArgumentError, ToolOutcome
from data_plane.tools.generated import render
from data_plane.tools.generated.lookups import key_values
from data_plane.tools.generated.model import Column, Table
from data_plane.tools.generated.spec import (
    GeneratedTool,
    arguable,
    column_input,
    only,
    relation,
    row_output,
    select_list,
    tool,
    value,
)
from data_plane.tools.outputs import nullable
from data_plane.tools.running import run_write

MAX_VARIANTS = 64
_INSERT = MappingProxyType(
    {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": False, "openWorldHint": False})
_CHANGE = MappingProxyType(
    {"readOnlyHint": False, "destructiveHint": True, "idempotentHint": True, "openWorldHint": False})


class Statements:
    """SQL per set of given columns, built on first use from identifiers and kept up to MAX_VARIANTS."""

    def __init__(self, build: Callable[[tuple[Column, ...]], str]) -> None:
        self._build = build
        self._made: dict[tuple[str, ...], str] = {}

    def get(self, columns: tuple[Column, ...]) -> str:
        key = tuple(c.name for c in columns)
        sql = self._made.get(key)
        if sql is None:
            sql = self._build(columns)
            if len(self._made) < MAX_VARIANTS:
                self._made[key] = sql
        return sql


def _values(columns: tuple[Column, ...], args: Mapping[str, Any]) -> list[Any]:
    bound = []
    for column in columns:
        raw = args[column.name]
        if raw is None and not column.nullable:
            raise ToolArgumentError(f"{column.name!r} may not be null")
        bound.append(None if raw is None else value(column, raw, column.name))
    return bound


def _settable(table: Table) -> list[Column]:
    return [c for c in table.columns if not c.generated and arguable(c)]


def _input(column: Column) -> dict[str, Any]:
    schema = column_input(column)
    if not column.nullable:
        return schema
    return {**nullable({k: v for k, v in schema.items() if k != "description"}),
            "description": schema["description"]}


def build_insert(table: Table, name: str) -> GeneratedTool | None:
    settable = _settable(table)
    required = [c for c in table.columns if not c.nullable and not c.has_default and not c.generated]
    if not table.writable or not settable or any(c not in settable for c in required):
        return None
    statements = Statements(lambda cols: (
        f"INSERT INTO {relation(table)} ({', '.join(quote_ident(c.name) for c in cols)}) "
        f"VALUES ({', '.join(f'${i + 1}' for i in range(len(cols)))}) RETURNING {select_list(table)}"
        if cols else f"INSERT INTO {relation(table)} DEFAULT VALUES RETURNING {select_list(table)}"))
    allowed = frozenset(c.name for c in settable)

    async def run(args: Mapping[str, Any], conn: asyncpg.Connection, limits: QueryLimits) -> ToolOutcome:
        only(args, allowed)
        missing = [c.name for c in required if c.name not in args]
        if missing:
            raise ToolArgumentError(f"required: {', '.join(missing)}")
        given = tuple(c for c in settable if c.name in args)
        _, records = await run_write(conn, statements.get(given), _values(given, args), limits)
        return render.one(records[0] if records else None, limits, f"Inserted into {table.qualified}",
                          "the row was not returned")

    description = f"Insert one row into {table.qualified} and return it. Columns left out take their default."
    definition = tool(name, f"Insert into {table.qualified}", description,
                      {c.name: _input(c) for c in settable}, [c.name for c in required], row_output(table),
                      _INSERT)
    return GeneratedTool(name, definition, run, table.qualified, write=True)


def build_update(table: Table, name: str) -> GeneratedTool | None:
    key = tuple(table.column(k) for k in table.primary_key)
    settable = [c for c in _settable(table) if c.name not in table.primary_key]
    if not table.writable or not key or not settable or not all(arguable(c) for c in key):
        return None
    statements = Statements(lambda cols: (
        f"UPDATE {relation(table)} SET "
        + ", ".join(f"{quote_ident(c.name)} = ${i + 1}" for i, c in enumerate(cols))
        + " WHERE " + " AND ".join(f"{quote_ident(k.name)} = ${len(cols) + i + 1}" for i, k in enumerate(key))
        + f" RETURNING {select_list(table)}"))
    allowed = frozenset(c.name for c in (*key, *settable))

    async def run(args: Mapping[str, Any], conn: asyncpg.Connection, limits: QueryLimits) -> ToolOutcome:
        only(args, allowed)
        given = tuple(c for c in settable if c.name in args)
        if not given:
            raise ToolArgumentError("give at least one column to change")
        params = [*_values(given, args), *key_values(key, args)]
        _, records = await run_write(conn, statements.get(given), params, limits)
        return render.one(records[0] if records else None, limits, f"Updated in {table.qualified}",
                          f"no row of {table.qualified} with that key")

    description = (f"Change one row of {table.qualified}, found by its primary key "
                   f"({', '.join(table.primary_key)}); only the columns given change. Returns the row.")
    properties = {c.name: column_input(c) for c in key} | {c.name: _input(c) for c in settable}
    definition = tool(name, f"Update {table.qualified}", description, properties, [c.name for c in key],
                      row_output(table), _CHANGE)
    return GeneratedTool(name, definition, run, table.qualified, write=True)


def build_delete(table: Table, name: str) -> GeneratedTool | None:
    key = tuple(table.column(k) for k in table.primary_key)
    if not table.writable or not key or not all(arguable(c) for c in key):
        return None
    where = " AND ".join(f"{quote_ident(k.name)} = ${i + 1}" for i, k in enumerate(key))
    sql = f"DELETE FROM {relation(table)} WHERE {where} RETURNING {select_list(table)}"
    allowed = frozenset(k.name for k in key)

    async def run(args: Mapping[str, Any], conn: asyncpg.Connection, limits: QueryLimits) -> ToolOutcome:
        only(args, allowed)
        _, records = await run_write(conn, sql, key_values(key, args), limits)
        return render.one(records[0] if records else None, limits, f"Deleted from {table.qualified}",
                          f"no row of {table.qualified} with that key")

    description = f"Delete one row of {table.qualified} by its primary key and return what it held."
    definition = tool(name, f"Delete from {table.qualified}", description,
                      {k.name: column_input(k) for k in key}, [k.name for k in key], row_output(table),
                      _CHANGE)
    return GeneratedTool(name, definition, run, table.qualified, write=True)
