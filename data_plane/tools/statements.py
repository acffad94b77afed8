"""The SQL tools: query and explain (read-only, guarded) and execute (write tokens only)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from data_plane import sqlguard
from data_plane.tools import arguments
from data_plane.tools.contract import QueryLimits, ToolOutcome
from data_plane.tools.results import data_result, refused, rows_result
from data_plane.tools.running import fetch_read, run_write
from data_plane.tools.sqlerrors import DATABASE_ERRORS, translate

_SQL_ARGS = frozenset({"sql", "params"})
_QUERY_ARGS = frozenset({"sql", "params", "max_rows"})
# The row cap lives in the SQL (LIMIT n+1), so the server stops early and a single fetch suffices.
# The newline before ")" closes a trailing "--" comment in the caller's text.
_WRAP_HEAD = "SELECT * FROM (\n"
_WRAP_TAIL = "\n) AS berth_rows LIMIT {}"
_EXPLAIN_HEAD = "EXPLAIN "


def capped(statement: str, max_rows: int) -> str:
    """The statement wrapped so the server returns at most ``max_rows + 1`` rows."""
    return _WRAP_HEAD + statement + _WRAP_TAIL.format(int(max_rows) + 1)


async def query(args: Mapping[str, Any], conn: asyncpg.Connection, limits: QueryLimits) -> ToolOutcome:
    arguments.only(args, _QUERY_ARGS)
    sql, params = arguments.text(args, "sql"), arguments.params(args)
    max_rows = arguments.max_rows(args, limits.max_rows_cap)
    verdict = sqlguard.check(sql)
    if not verdict.allowed:
        return refused(_with_execute_hint(sql, verdict.reason))
    text, offset = verdict.statement, 0
    if verdict.kind == "select":
        text, offset = capped(verdict.statement, max_rows), len(_WRAP_HEAD)
    return await _read_rows(conn, text, params, limits, max_rows, offset)


def _with_execute_hint(sql: str, reason: str) -> str:
    """A statement only the write guard allows (DML, DDL) belongs to ``execute``: say so."""
    if sqlguard.check(sql, write=True).allowed:
        return ("query runs reads only (SELECT, VALUES, WITH, EXPLAIN); run this statement with the "
                "execute tool, which needs an mcp:write token")
    return reason


async def explain(args: Mapping[str, Any], conn: asyncpg.Connection, limits: QueryLimits) -> ToolOutcome:
    arguments.only(args, _SQL_ARGS)
    sql, params = arguments.text(args, "sql"), arguments.params(args)
    verdict = sqlguard.check(sql)
    if not verdict.allowed:
        return refused(verdict.reason)
    text, offset = verdict.statement, 0
    if verdict.kind == "select":
        text, offset = _EXPLAIN_HEAD + verdict.statement, len(_EXPLAIN_HEAD)
    outcome = await _read_rows(conn, text, params, limits, limits.max_rows_cap, offset)
    if outcome.result["isError"]:
        return outcome
    plan = "\n".join(str(row[0]) for row in outcome.result["structuredContent"]["rows"])
    return data_result({"plan": plan}, "Query plan (the statement did not run).")


async def execute(args: Mapping[str, Any], conn: asyncpg.Connection, limits: QueryLimits) -> ToolOutcome:
    arguments.only(args, _SQL_ARGS)
    sql, params = arguments.text(args, "sql"), arguments.params(args)
    verdict = sqlguard.check(sql, write=True)
    if not verdict.allowed:
        return refused(verdict.reason)
    try:
        status, records = await run_write(conn, verdict.statement, params, limits)
    except DATABASE_ERRORS as exc:
        return translate(exc, limits)
    max_rows = min(arguments.DEFAULT_MAX_ROWS, limits.max_rows_cap)
    return rows_result(records, limits, max_rows, {"status": status})


async def _read_rows(
    conn: asyncpg.Connection, text: str, params: list[Any], limits: QueryLimits, max_rows: int, offset: int
) -> ToolOutcome:
    # What runs is checked too: the wrapper must not change what the guard approved.
    if not sqlguard.check(text).allowed:
        return refused("the statement could not be wrapped safely; send a single plain SELECT")
    try:
        records = await fetch_read(conn, text, params, limits)
    except DATABASE_ERRORS as exc:
        return translate(exc, limits, offset=offset)
    return rows_result(records, limits, max_rows)
