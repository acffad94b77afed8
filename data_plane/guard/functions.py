"""Which functions and operators a token may call, however the call is spelled.

Read tokens are held to an allow-list: Postgres's built-ins that change nothing
(not volatile, outside the dangerous families), a few harmless volatile ones,
and the endpoint's own non-volatile functions when the caller knows them. Write
tokens may call anything outside the dangerous families, their own functions
included. A call hides in more places than ``f(x)``: attribute notation
``(x).f`` and ``t.f`` call ``f(x)`` / ``f(t)`` when no field has that name, and
every operator is a function.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from data_plane.guard.builtins import CATALOG_FUNCTIONS, CATALOG_OPERATORS, VOLATILE_FUNCTIONS
from data_plane.guard.targets import is_system_schema
from data_plane.guard.tree import strings


@dataclass(frozen=True, slots=True)
class Scope:
    """Who is asking: a write token or not, and the endpoint's own non-volatile function names."""

    write: bool = False
    own_functions: frozenset[str] = frozenset()


# Matched on the lower-cased last part of the name, so no schema, quoting or case reaches them.
_FAMILIES = (
    ("runs SQL given as text", r"(query|cursor|table|schema|database)_to_xml|^ts_(stat|rewrite)$|dblink"),
    ("reaches the server's files", r"^pg_(read_|ls_|file_|logdir|stat_file$|hba_file|ident_file|control_)"
     r"|logfile|_file_settings$|^pg_config$|^pg_import_system_collations$"),
    ("reaches large objects (server-side files)", r"^lo_|^lo(read|write)$"),
    ("takes locks that outlive the call", r"advisory|^pg_lock_status$|blocking_pids|^pg_isolation_test"),
    ("waits on the server", r"^pg_sleep"),
    ("reaches other sessions or the server process", r"^pg_(terminate|cancel|signal|log)_backend"
     r"|^pg_get_backend|^pg_reload_conf$|^pg_stat_(reset|clear_snapshot$|force_next_flush$)"
     r"|^pg_prewarm|^pg_get_shmem|^pg_stat_get_(activity|backend)"),
    ("changes session settings", r"^set_config$|^setseed$"),
    ("sends or reads notifications", r"notif|^pg_listening_channels$"),
    ("reaches replication, WAL or backups", r"replication|_wal|wal_|^pg_logical|backup|^pg_promote$"
     r"|restore_point|^pg_export_snapshot$"),
    ("reaches server internals", r"^binary_upgrade|pinned_objects|^pg_nextoid$|^pg_extension_config_dump$"),
)
_FAMILY_PATTERNS = tuple((reason, re.compile(pattern)) for reason, pattern in _FAMILIES)
# These draw sequence values or a transaction id: writes, so a write token's only.
_WRITE_ONLY = frozenset({"nextval", "setval", "currval", "lastval", "txid_current", "pg_current_xact_id"})
HARMLESS_VOLATILE = frozenset({
    "random", "clock_timestamp", "timeofday", "gen_random_uuid",
    # Newer than the generated list (PostgreSQL 16-18):
    "random_normal", "array_sample", "array_shuffle", "uuidv4", "uuidv7",
})
# Non-volatile built-ins newer than the generated list (PostgreSQL 16-18).
_NEWER_BUILTINS = frozenset({
    "any_value", "system_user", "pg_input_is_valid", "pg_input_error_info", "date_add", "date_subtract",
    "to_bin", "to_oct", "uuid_extract_timestamp", "uuid_extract_version", "unicode_assigned",
    "array_reverse", "array_sort", "casefold", "crc32", "crc32c", "pg_basetype",
})


def family_of(function: str) -> str:
    """Why ``function`` is dangerous in any scope, or ``""`` when it belongs to no dangerous family."""
    lowered = function.lower()
    for reason, pattern in _FAMILY_PATTERNS:
        if pattern.search(lowered):
            return reason
    return ""


def _read_builtins() -> frozenset[str]:
    kept = (CATALOG_FUNCTIONS - VOLATILE_FUNCTIONS - _WRITE_ONLY) | _NEWER_BUILTINS | HARMLESS_VOLATILE
    return frozenset(name for name in kept if not family_of(name))


READ_BUILTINS = _read_builtins()
_SYSTEM_FUNCTION_SCHEMAS = (None, "pg_catalog")
# Names in A_Expr that are keywords, not operators.
_NOT_OPERATORS = frozenset({"BETWEEN", "NOT BETWEEN", "BETWEEN SYMMETRIC", "NOT BETWEEN SYMMETRIC"})


def call_refusal(parts: list[str], scope: Scope) -> str:
    """Why calling the function named ``parts`` (``[schema,] name``) is refused, or ``""``."""
    name, schema = parts[-1], (parts[-2] if len(parts) > 1 else None)
    reason = _family_refusal(name, scope)
    if reason or scope.write:
        return reason
    if name in READ_BUILTINS and schema in _SYSTEM_FUNCTION_SCHEMAS:
        return ""
    if name in scope.own_functions and not (schema and is_system_schema(schema)):
        return ""
    return (f"the function {'.'.join(parts)}() is not allowed for a read token: only built-ins that change "
            "nothing and the endpoint's own non-volatile functions are")


def _family_refusal(name: str, scope: Scope) -> str:
    family = family_of(name)
    if family:
        return f"the function {name}() is not allowed: it {family}"
    if name.lower() in _WRITE_ONLY and not scope.write:
        return f"the function {name}() is for write tokens only: it draws a sequence value or transaction id"
    return ""


def node_refusal(name: str, body: Any, scope: Scope) -> str:
    """Why one parse-tree node calls a function or operator the scope may not, or ``""``."""
    if name == "FuncCall":
        return call_refusal(strings(body["funcname"]), scope)
    if name == "A_Indirection":
        return _attribute_refusal(strings(body.get("indirection", [])), scope)
    if name == "ColumnRef":
        return _column_refusal(strings(body.get("fields", [])), scope)
    if name == "A_Expr" and body.get("name"):
        return operator_refusal(strings(body["name"]), scope)
    if name == "SubLink" and body.get("operName"):
        return operator_refusal(strings(body["operName"]), scope)
    if name == "SortBy" and body.get("useOp"):
        return operator_refusal(strings(body["useOp"]), scope)
    return ""


def _attribute_refusal(fields: list[str], scope: Scope) -> str:
    # (x).f is a field of x, or f(x) when x has no field f: only the catalog can tell, so it is a call.
    for field in fields:
        reason = call_refusal([field], scope)
        if reason:
            return f"(...).{field} is refused: it calls {field}() unless a field has that name, and {reason}"
    return ""


def _column_refusal(fields: list[str], scope: Scope) -> str:
    # t.f calls f(t) with t's whole row; no built-in outside the families accepts a row and is volatile.
    if len(fields) < 2:
        return ""
    reason = _family_refusal(fields[-1], scope)
    if not reason:
        return ""
    dotted = ".".join(fields)
    return f"{dotted} is refused: it calls {fields[-1]}() unless a column has that name, and {reason}"


def operator_refusal(parts: list[str], scope: Scope) -> str:
    """Why the operator named ``parts`` (``[schema,] symbol``) is refused, or ``""``."""
    symbol, schema = parts[-1], (parts[-2] if len(parts) > 1 else None)
    if symbol in _NOT_OPERATORS:
        return ""
    if schema not in _SYSTEM_FUNCTION_SCHEMAS:
        return f"OPERATOR({schema}.{symbol}) is not allowed: only built-in operators may be named by schema"
    if scope.write or symbol in CATALOG_OPERATORS:
        return ""
    return f"the operator {symbol} is not a built-in operator; a read token may use built-in operators only"
