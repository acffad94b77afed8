"""The SQL guard: pglast parses agent SQL and walks every node before anything reaches a database.

It is one layer of several (read-only role, read-only transaction, extended
protocol only) but holds on its own, so it refuses generously: anything it
cannot prove harmless for the token's scope is rejected with a sentence saying
why. Reads are SELECT, VALUES, WITH and EXPLAIN calling allowed functions only
(``data_plane.guard.functions``); writes are held to the write allow-list
(``data_plane.guard.writes``). See docs/SECURITY.md, "The SQL guards".
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any, Literal

from pglast import parser

from data_plane.guard import functions, routines, writes
from data_plane.guard.functions import Scope
from data_plane.guard.tree import label, walk

Kind = Literal["select", "explain", "write"]

# Statement nodes a write token may not send either: they would end our transaction,
# change session state that outlives the call on a pooled connection, or reach the server's files.
_SESSION_OR_SERVER = {
    "TransactionStmt": "transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT) is not allowed",
    "VariableSetStmt": "SET and RESET are not allowed",
    "VariableShowStmt": "SHOW is not allowed; use current_setting()",
    "CopyStmt": "COPY is not allowed",
    "DoStmt": "DO blocks are not allowed",
    "CallStmt": "CALL is not allowed",
    "ListenStmt": "LISTEN is not allowed",
    "UnlistenStmt": "UNLISTEN is not allowed",
    "NotifyStmt": "NOTIFY is not allowed",
    "PrepareStmt": "PREPARE is not allowed",
    "ExecuteStmt": "EXECUTE is not allowed",
    "DeallocateStmt": "DEALLOCATE is not allowed",
    "DiscardStmt": "DISCARD is not allowed",
    "LoadStmt": "LOAD is not allowed",
    "AlterSystemStmt": "ALTER SYSTEM is not allowed",
    "VacuumStmt": "VACUUM and ANALYZE are not allowed",
    "CheckPointStmt": "CHECKPOINT is not allowed",
    "LockStmt": "LOCK is not allowed",
    "DeclareCursorStmt": "cursors are not allowed",
    "FetchStmt": "cursors are not allowed",
    "ClosePortalStmt": "cursors are not allowed",
    "ConstraintsSetStmt": "SET CONSTRAINTS is not allowed",
}
_TOO_DEEP = "the SQL is nested too deeply to check"

@dataclass(frozen=True, slots=True)
class Verdict:
    """What the guard decided about one SQL text.

    ``statement`` is the single statement's text without a trailing semicolon or
    comment, ready to be wrapped; ``reason`` says why a refused text was refused.
    """

    allowed: bool
    reason: str = ""
    kind: Kind = "select"
    statement: str = ""


# Longer texts are checked every time: caching them would let 4,096 huge texts pin memory.
_CACHED_CHARS = 16_384


def check(sql: str, *, write: bool = False, own_functions: frozenset[str] = frozenset()) -> Verdict:
    """The verdict for ``sql`` under a read (default) or write scope; cached by (text, scope).

    ``own_functions`` names the endpoint's own non-volatile functions, which a read
    token may call as well as the built-ins; a write token may call any function
    outside the dangerous families.
    """
    if len(sql) > _CACHED_CHARS:
        return _verdict(sql, write, own_functions)
    return _cached(sql, write, own_functions)


def _verdict(sql: str, write: bool, own_functions: frozenset[str]) -> Verdict:
    try:
        stmts = _statements(sql)
        if len(stmts) != 1:
            return Verdict(False, f"send exactly one statement (this text holds {len(stmts)})")
        reason = _refusal(stmts[0]["stmt"], Scope(write, own_functions), sql)
    except parser.ParseError as exc:
        return Verdict(False, f"the SQL does not parse: {exc}")
    except RecursionError:
        return Verdict(False, _TOO_DEEP)
    if reason:
        return Verdict(False, reason)
    return Verdict(True, kind=_kind(stmts[0]["stmt"], write), statement=_statement_text(sql, stmts[0]))


_cached = functools.lru_cache(maxsize=4096)(_verdict)


def _statements(sql: str) -> list[dict[str, Any]]:
    stmts: list[dict[str, Any]] = json.loads(parser.parse_sql_json(sql)).get("stmts", [])
    return stmts


def _kind(stmt: dict[str, Any], write: bool) -> Kind:
    if write:
        return "write"
    return "explain" if "ExplainStmt" in stmt else "select"


def _statement_text(sql: str, raw: dict[str, Any]) -> str:
    # libpg_query reports byte offsets, so cut the UTF-8 bytes, not the str.
    data = sql.encode()
    start = raw.get("stmt_location", 0)
    end = start + raw["stmt_len"] if raw.get("stmt_len") else len(data)
    return data[start:end].decode().rstrip()


def _refusal(stmt: dict[str, Any], scope: Scope, text: str) -> str:
    top = next(iter(stmt))
    if not scope.write:
        reason = _read_top_refusal(top, stmt[top])
        if reason:
            return reason
    for name, body in walk(stmt):
        reason = _node_refusal(name, body, scope)
        if reason:
            return reason
    return _body_refusal(stmt[top], scope, text) if top == "CreateFunctionStmt" else ""


def _body_refusal(body: dict[str, Any], scope: Scope, text: str) -> str:
    """A function body's SQL is checked like the caller's own, statement by statement."""
    reason, texts = routines.body_sql(body, text)
    for sql in texts:
        reason = reason or _text_refusal(sql, scope)
    return f"the function body is refused: {reason}" if reason else ""


def _text_refusal(sql: str, scope: Scope) -> str:
    try:
        stmts = _statements(sql)
    except parser.ParseError as exc:
        return f"it does not parse: {exc}"
    return next((reason for reason in (_refusal(s["stmt"], scope, sql) for s in stmts) if reason), "")


def _read_top_refusal(top: str, body: dict[str, Any]) -> str:
    if top == "ExplainStmt":
        for option in body.get("options", []):
            if option["DefElem"]["defname"].lower() == "analyze":
                return "EXPLAIN ANALYZE runs the statement; only plain EXPLAIN is allowed"
        return ""
    if top != "SelectStmt":
        if top in _SESSION_OR_SERVER:
            return _SESSION_OR_SERVER[top]
        return f"this token is read-only: only SELECT, VALUES, WITH and EXPLAIN, not {label(top)}"
    return ""


def _node_refusal(name: str, body: Any, scope: Scope) -> str:
    if name in _SESSION_OR_SERVER:
        return _SESSION_OR_SERVER[name]
    reason = _write_node_refusal(name, body) if scope.write else _read_node_refusal(name, body)
    return reason or functions.node_refusal(name, body, scope)


def _write_node_refusal(name: str, body: Any) -> str:
    if name == "RoleSpec":
        return writes.role_refusal(body)
    return writes.statement_refusal(name, body) if name.endswith("Stmt") else ""


def _read_node_refusal(name: str, body: Any) -> str:
    if name.endswith("Stmt") and name not in ("SelectStmt", "ExplainStmt"):
        return f"this token is read-only: no {label(name)} inside a query (a data-modifying CTE?)"
    if name == "LockingClause":
        return "locking clauses (FOR UPDATE / FOR SHARE) are not allowed for a read-only token"
    if name == "SelectStmt" and body.get("intoClause"):
        return "SELECT INTO creates a table; it is not allowed for a read-only token"
    return ""
