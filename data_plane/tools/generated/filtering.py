"""``filter_<t>``: typed conditions per column (equality or a list, ranges, null checks), combined with AND.

One statement per table: every condition is ``(<test> OR $n IS NULL)``, so an
argument left out sends NULL and its condition drops away. The parameter is
typed by the test that comes first, hence that order.
"""

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
    MAX_VALUES,
    GeneratedTool,
    arguable,
    column_input,
    limit,
    limit_input,
    only,
    relation,
    rows_output,
    select_list,
    tool,
    value,
)
from data_plane.tools.generated.types import COMPARABLE, DATE_KINDS
from data_plane.tools.running import fetch_read

MAX_FILTER_COLUMNS = 40
_EQUALITY = frozenset({"boolean", "enum", "text", "uuid", "integer"})


@dataclass(frozen=True, slots=True)
class Condition:
    """One argument: its name, the column, and how it tests (eq, min, max, null)."""

    argument: str
    column: Column
    test: str


def conditions(table: Table) -> list[Condition]:
    found: list[Condition] = []
    for column in [c for c in table.columns if arguable(c)][:MAX_FILTER_COLUMNS]:
        if column.kind in _EQUALITY:
            found.append(Condition(column.name, column, "eq"))
        if column.kind in COMPARABLE:
            dated = column.kind in DATE_KINDS
            low = column.name + "_after" if dated else "min_" + column.name
            high = column.name + "_before" if dated else "max_" + column.name
            found += [Condition(low, column, "min"), Condition(high, column, "max")]
        if column.nullable:
            found.append(Condition(column.name + "_is_null", column, "null"))
    seen: set[str] = {"limit"}
    unique = []
    for condition in found:
        if condition.argument not in seen:
            seen.add(condition.argument)
            unique.append(condition)
    return unique


def _clause(condition: Condition, n: int) -> str:
    column = quote_ident(condition.column.name)
    if condition.test == "eq":
        return f"({column} = ANY(${n}) OR ${n} IS NULL)"
    if condition.test == "null":
        return f"(${n}::boolean IS NULL OR ({column} IS NULL) = ${n}::boolean)"
    operator = ">=" if condition.test == "min" else "<="
    return f"({column} {operator} ${n} OR ${n} IS NULL)"


def _input(condition: Condition) -> dict[str, Any]:
    column = condition.column
    if condition.test == "null":
        return {"type": "boolean", "description": f"true: {column.name} is NULL; false: it is not."}
    if condition.test == "eq":
        single = column_input(column, f"{column.name} ({column.type}) equals this value, or one of a list.")
        item = {k: v for k, v in single.items() if k != "description"}
        if column.kind == "text" and column.common_values:  # the values statistics saw, all of them
            item["enum"] = list(column.common_values)
        return {"anyOf": [item, {"type": "array", "items": item, "minItems": 1, "maxItems": MAX_VALUES}],
                "description": single["description"]}
    bound = "at least" if condition.test == "min" else "at most"
    return column_input(column, f"{column.name} ({column.type}) is {bound} this (inclusive).")


def _bind(condition: Condition, raw: Any) -> Any:
    if raw is None:
        return None
    name = condition.argument
    if condition.test == "null":
        if not isinstance(raw, bool):
            raise ToolArgumentError(f"{name!r} must be true or false")
        return raw
    if condition.test != "eq":
        return value(condition.column, raw, name)
    values = raw if isinstance(raw, list) else [raw]
    if not 1 <= len(values) <= MAX_VALUES:
        raise ToolArgumentError(f"{name!r} takes one value or a list of 1 to {MAX_VALUES}")
    return [value(condition.column, item, name) for item in values]


def build(table: Table, name: str) -> GeneratedTool | None:
    tests = conditions(table)
    if not tests:
        return None
    where = " AND ".join(_clause(c, i + 1) for i, c in enumerate(tests))
    order = ", ".join(quote_ident(k) for k in table.primary_key)
    sql = (f"SELECT {select_list(table)} FROM {relation(table)} WHERE {where}"
           f"{' ORDER BY ' + order if order else ''} LIMIT ${len(tests) + 1}")
    allowed = frozenset(c.argument for c in tests) | {"limit"}

    async def run(args: Mapping[str, Any], conn: asyncpg.Connection, limits: QueryLimits) -> ToolOutcome:
        only(args, allowed)
        count = limit(args)
        params = [_bind(c, args.get(c.argument)) for c in tests]
        records = await fetch_read(conn, sql, [*params, count + 1], limits)
        return render.rows(records[:count], limits, f"Rows of {table.qualified} that match",
                           more=len(records) > count)

    description = (f"Rows of {table.qualified} matching every condition given (AND). "
                   "Equality takes one value or a list; min_/max_ and _after/_before are inclusive.")
    properties = {c.argument: _input(c) for c in tests} | {"limit": limit_input()}
    definition = tool(name, f"Filter {table.qualified}", description, properties, (), rows_output(table))
    return GeneratedTool(name, definition, run, table.qualified)

