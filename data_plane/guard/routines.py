"""Functions and triggers a write token may create, and the SQL their bodies run.

A function is sql or plpgsql, never SECURITY DEFINER, never named like a built-in
(an overload in another schema can win over pg_catalog's for a better-matching
argument type), and never with SET options. Its body is handed back as SQL texts
so the guard checks them like the caller's own: a body that calls pg_sleep() is
refused as a statement would be. plpgsql that builds SQL at run time (EXECUTE)
cannot be checked and is refused. A trigger calls only the endpoint's own functions.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pglast import parser

from data_plane.guard.builtins import CATALOG_FUNCTIONS
from data_plane.guard.functions import READ_BUILTINS
from data_plane.guard.targets import is_system_schema, names_refusal, object_refusal, relation_refusal
from data_plane.guard.tree import strings, walk

BUILT_IN_NAMES = CATALOG_FUNCTIONS | READ_BUILTINS
_OPTIONS = frozenset({"as", "language", "volatility", "strict", "security", "parallel", "cost", "rows"})
_LANGUAGES = frozenset({"sql", "plpgsql"})
_DYNAMIC = frozenset({"PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors"})
# plpgsql's parse modes (libpg_query RawParseMode): a statement, a type name, an expression, an assignment.
_STATEMENT, _TYPE_NAME, _EXPRESSION = 0, 1, 2
_ASSIGNMENT = re.compile(r"^([^:=]*?):?=(.*)$", re.DOTALL)


def function_language(options: list[Any], has_sql_body: bool) -> str:
    """The LANGUAGE of a CREATE FUNCTION (``sql`` for a BEGIN ATOMIC / RETURN body), or ``""``."""
    for option in options:
        element = option["DefElem"]
        if element["defname"] == "language":
            return next(iter(strings([element["arg"]])), "")
    return "sql" if has_sql_body else ""


def shadow_refusal(what: str, name: str) -> str:
    """Why a function of the endpoint's own may not be called ``name``, or ``""``."""
    if name not in BUILT_IN_NAMES:
        return ""
    return f"{what} {name} is refused: {name}() is a built-in, and the endpoint's own must not shadow it"


def create_function(what: str, body: dict[str, Any]) -> str:
    """Why a write token may not send this CREATE FUNCTION (its body aside), or ``""``."""
    if body.get("is_procedure"):
        return "CREATE PROCEDURE is refused: procedures run only through CALL, which is not allowed"
    names = strings(body["funcname"])
    options = body.get("options", [])
    language = function_language(options, bool(body.get("sql_body")))
    if language not in _LANGUAGES:
        return f"{what} LANGUAGE {language or '(none)'} is refused: only sql and plpgsql are allowed"
    return shadow_refusal(what, names[-1]) or names_refusal(what, names) or _options_refusal(what, options)


def alter_function(what: str, body: dict[str, Any]) -> str:
    """Why a write token may not send this ALTER FUNCTION, or ``""``."""
    if body.get("objtype", "OBJECT_FUNCTION") != "OBJECT_FUNCTION":
        return f"ALTER {body['objtype'].removeprefix('OBJECT_')} is refused: only functions may be altered"
    actions = [a for a in body.get("actions", []) if a["DefElem"]["defname"] not in ("as", "language")]
    return object_refusal(what, "OBJECT_FUNCTION", body.get("func")) or _options_refusal(what, actions)


def _options_refusal(what: str, options: list[Any]) -> str:
    for option in options:
        element = option["DefElem"]
        if element["defname"] not in _OPTIONS:
            return (f"{what} ... {element['defname'].upper()} is refused: only LANGUAGE, volatility, STRICT, "
                    "PARALLEL, COST, ROWS and SECURITY INVOKER are allowed")
        if element["defname"] == "security" and element.get("arg", {}).get("Boolean", {}).get("boolval"):
            return f"{what} ... SECURITY DEFINER is refused: it would run with the owner's rights for anyone"
    return ""


def create_trigger(what: str, body: dict[str, Any]) -> str:
    """Why a write token may not send this CREATE TRIGGER, or ``""``: its function must be the endpoint's."""
    names = strings(body["funcname"])
    built_in = names[-1] in CATALOG_FUNCTIONS if len(names) == 1 else is_system_schema(names[-2])
    if built_in or names_refusal(what, names):
        return (f"{what} ... EXECUTE FUNCTION {'.'.join(names)} is refused: a trigger may call only the "
                "endpoint's own functions")
    return relation_refusal(f"{what} ON", body.get("relation"))


def body_sql(body: dict[str, Any], text: str) -> tuple[str, list[str]]:
    """(refusal, SQL texts) of a CREATE FUNCTION's body, ``text`` being the whole statement.

    A BEGIN ATOMIC / RETURN body is part of the parse tree already and yields nothing here.
    """
    options = body.get("options", [])
    language = function_language(options, bool(body.get("sql_body")))
    if body.get("sql_body") or language not in _LANGUAGES:
        return "", []
    if language == "sql":
        return "", [text for option in options if option["DefElem"]["defname"] == "as"
                    for text in strings(option["DefElem"]["arg"])[:1]]
    return _plpgsql_sql(text)


def _plpgsql_sql(text: str) -> tuple[str, list[str]]:
    try:
        tree = json.loads(parser.parse_plpgsql_json(text))
    except parser.ParseError as exc:
        return f"the plpgsql body does not parse: {exc}", []
    texts = []
    for name, node in walk(tree):
        if name in _DYNAMIC or (name.startswith("PLpgSQL_stmt_") and "dynquery" in node):
            return "EXECUTE in a plpgsql body is refused: SQL built at run time cannot be checked", []
        if name == "PLpgSQL_expr":
            texts.append(_expression_sql(node))
    return "", [sql for sql in texts if sql]


def _expression_sql(expression: dict[str, Any]) -> str:
    query, mode = expression["query"], expression.get("parseMode", _STATEMENT)
    if mode == _STATEMENT:
        return str(query)
    if mode == _TYPE_NAME:
        return ""
    if mode == _EXPRESSION:
        return f"SELECT {query}"
    # "target := value" (or "="): check both sides; a target that does not split fails to parse, refused.
    match = _ASSIGNMENT.match(query)
    return f"SELECT {match[1]}, {match[2]}" if match else f"SELECT {query}"
