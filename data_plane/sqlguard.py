"""The SQL guard: pglast parses agent SQL and walks every node before anything reaches a database.

It is one layer of several (read-only role, read-only transaction, extended
protocol only), so it refuses generously: anything it cannot prove harmless
for the token's scope is rejected with a sentence saying why.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pglast import parser

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

# Matched on the last part of the name, so a schema prefix (pg_catalog.pg_sleep) changes nothing.
_DANGEROUS_NAMES = frozenset({
    "set_config", "pg_terminate_backend", "pg_cancel_backend", "pg_signal_backend", "pg_read_file",
    "pg_read_binary_file", "pg_stat_file", "pg_reload_conf", "pg_rotate_logfile", "pg_notify",
    "loread", "lowrite", "pg_logical_emit_message", "pg_switch_wal", "pg_promote",
    "pg_log_backend_memory_contexts", "ts_stat", "ts_rewrite", "pg_import_system_collations",
    "pg_create_restore_point", "pg_backup_start", "pg_backup_stop", "pg_file_write", "pg_file_rename",
    "pg_file_unlink", "pg_file_sync", "pg_logdir_ls", "pg_stat_reset", "pg_prewarm",
})
_DANGEROUS_PREFIXES = (
    "pg_sleep", "dblink", "lo_", "pg_ls_", "query_to_xml", "cursor_to_xml", "pg_stat_reset",
    "pg_replication_", "pg_create_", "pg_drop_replication", "pg_copy_", "pg_wal_replay", "pg_read_",
    "pg_file_",
)
# Advisory locks outlive the call on a pooled connection; match any spelling of them.
_DANGEROUS_PARTS = ("advisory",)
# These allocate transaction ids or touch sequences: writes, fine for a write token only.
_WRITE_ONLY_NAMES = frozenset({
    "nextval", "setval", "currval", "lastval", "txid_current", "pg_current_xact_id",
})


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


def check(sql: str, *, write: bool = False) -> Verdict:
    """The verdict for ``sql`` under a read (default) or write scope; cached by text."""
    if len(sql) > _CACHED_CHARS:
        return _verdict(sql, write)
    return _cached(sql, write)


def _verdict(sql: str, write: bool) -> Verdict:
    try:
        tree = json.loads(parser.parse_sql_json(sql))
    except parser.ParseError as exc:
        return Verdict(False, f"the SQL does not parse: {exc}")
    except RecursionError:
        return Verdict(False, "the SQL is nested too deeply to check")
    stmts = tree.get("stmts", [])
    if len(stmts) != 1:
        return Verdict(False, f"send exactly one statement (this text holds {len(stmts)})")
    raw = stmts[0]
    reason = _refusal(raw["stmt"], write)
    if reason:
        return Verdict(False, reason)
    return Verdict(True, kind=_kind(raw["stmt"], write), statement=_statement_text(sql, raw))


_cached = functools.lru_cache(maxsize=4096)(_verdict)


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


def _refusal(stmt: dict[str, Any], write: bool) -> str:
    top = next(iter(stmt))
    if not write:
        reason = _read_top_refusal(top, stmt[top])
        if reason:
            return reason
    for name, body in _walk(stmt):
        reason = _node_refusal(name, body, write)
        if reason:
            return reason
    return ""


def _read_top_refusal(top: str, body: dict[str, Any]) -> str:
    if top == "ExplainStmt":
        for option in body.get("options", []):
            if option["DefElem"]["defname"].lower() == "analyze":
                return "EXPLAIN ANALYZE runs the statement; only plain EXPLAIN is allowed"
        return ""
    if top != "SelectStmt":
        if top in _SESSION_OR_SERVER:
            return _SESSION_OR_SERVER[top]
        return f"this token is read-only: only SELECT, VALUES, WITH and EXPLAIN, not {_label(top)}"
    return ""


def _node_refusal(name: str, body: Any, write: bool) -> str:
    if name in _SESSION_OR_SERVER:
        return _SESSION_OR_SERVER[name]
    if write:
        return _function_refusal(name, body, write)
    if name.endswith("Stmt") and name not in ("SelectStmt", "ExplainStmt"):
        return f"this token is read-only: no {_label(name)} inside a query (a data-modifying CTE?)"
    if name == "LockingClause":
        return "locking clauses (FOR UPDATE / FOR SHARE) are not allowed for a read-only token"
    if name == "SelectStmt" and body.get("intoClause"):
        return "SELECT INTO creates a table; it is not allowed for a read-only token"
    return _function_refusal(name, body, write)


def _function_refusal(name: str, body: Any, write: bool) -> str:
    if name != "FuncCall":
        return ""
    function = body["funcname"][-1]["String"]["sval"].lower()
    if _is_dangerous(function) or (not write and function in _WRITE_ONLY_NAMES):
        return f"the function {function}() is not allowed"
    return ""


def _is_dangerous(function: str) -> bool:
    return (
        function in _DANGEROUS_NAMES
        or function.startswith(_DANGEROUS_PREFIXES)
        or any(part in function for part in _DANGEROUS_PARTS)
    )


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (node type, body) pair in the JSON parse tree, depth first, however deep."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key[:1].isupper():
                    yield key, value
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)


def _label(node_name: str) -> str:
    return node_name.removesuffix("Stmt").upper() or node_name
