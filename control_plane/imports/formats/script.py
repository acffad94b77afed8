"""SQL scripts and plain-format pg_dump files: every statement parsed by pglast and judged before any runs.

Each statement is one of three things. *Skipped*, knowingly: ``SET`` /
``RESET``, pg_dump's ``SELECT pg_catalog.set_config(...)``, ``BEGIN`` /
``COMMIT`` (the whole script is one transaction anyway), ``ALTER ... OWNER
TO`` (what the script makes belongs to the endpoint's owner whoever the dump
names) and pg_dump's ``\\restrict`` / ``\\unrestrict`` lines. *Copied*: ``COPY
... FROM stdin``, whose data the importer streams itself (checked as an
INSERT into its table). *Run*: anything the write guard (``Guard``, handed in
by the worker) allows. Anything else is refused with its line; the scan
collects every refusal before the endpoint is touched.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

from pglast import parser

from control_plane.errors import EmptyFile, StatementRefused
from control_plane.imports.formats.script_text import ScriptText, Statement
from control_plane.imports.names import quote_ident

Guard = Callable[[str], str]  # the write guard's refusal for one statement, "" when allowed
MAX_PROBLEMS = 20
SKIPPED_META = ("\\restrict", "\\unrestrict")
SKIPPED_TRANSACTIONS = ("TRANS_STMT_BEGIN", "TRANS_STMT_START", "TRANS_STMT_COMMIT")
COPY_TEXT_OPTIONS = ("delimiter", "null", "quote", "escape", "encoding")
CHUNK_BYTES = 1 << 20
PRIVILEGES = ("GrantStmt", "AlterDefaultPrivilegesStmt")


class Action(IntEnum):
    SKIP = 0
    RUN = 1
    COPY = 2


@dataclass(frozen=True)
class CopyIn:
    """Where one ``COPY ... FROM stdin`` block goes, as ``asyncpg``'s ``copy_to_table`` takes it."""

    schema: str | None
    table: str
    columns: list[str] | None
    options: dict[str, Any]


@dataclass(frozen=True)
class Step:
    statement: Statement
    copy: CopyIn | None = None
    data: Iterator[bytes] | None = None


@dataclass
class ScriptShape:
    actions: bytearray = field(default_factory=bytearray)
    copies: dict[int, CopyIn] = field(default_factory=dict)
    skipped: int = 0


class ScriptRefused(StatementRefused):
    """Statements the write guard refuses, each listed; nothing ran. Its code is ``statement_refused``."""

    def __init__(self, problems: list[StatementRefused]) -> None:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{first.detail}{more}", line=first.line)
        self.problems = problems

    def all_json(self) -> list[dict[str, Any]]:
        return [p.as_json() for p in self.problems]


@dataclass(frozen=True)
class Verdict:
    action: Action
    copy: CopyIn | None = None
    refusal: str = ""


class ScriptSource:
    """One SQL file, read twice: ``scan`` judges every statement, ``steps`` yields what to run."""

    def __init__(self, path: Path, guard: Guard) -> None:
        self.path = path
        self.guard = guard
        self._handle: Any = None

    def bytes_read(self) -> int:
        return 0 if self._handle is None or self._handle.closed else int(self._handle.tell())

    def scan(self) -> ScriptShape:
        shape, problems = ScriptShape(), []
        with self.path.open("rb") as self._handle:
            text = ScriptText(self._handle)
            for statement in text.statements():
                verdict = judge(statement, self.guard)
                if verdict.refusal:
                    problems.append(StatementRefused(verdict.refusal, line=statement.line))
                _record(shape, verdict)
                if verdict.copy is not None:
                    for _ in text.data(statement):
                        pass
                if len(problems) >= MAX_PROBLEMS:
                    break
        if problems:
            raise ScriptRefused(problems)
        if not shape.actions.count(Action.RUN) + shape.actions.count(Action.COPY):
            raise EmptyFile("the script holds no statement to run")
        return shape

    def steps(self, shape: ScriptShape) -> Iterator[Step]:
        """The statements to run in order; a COPY step's ``data`` must be read before the next step."""
        with self.path.open("rb") as self._handle:
            text = ScriptText(self._handle)
            for index, statement in enumerate(text.statements()):
                action = shape.actions[index]
                if action == Action.RUN:
                    yield Step(statement)
                elif action == Action.COPY:
                    yield Step(statement, shape.copies[index], _chunks(text.data(statement)))


def _record(shape: ScriptShape, verdict: Verdict) -> None:
    if verdict.action == Action.COPY and verdict.copy is not None:
        shape.copies[len(shape.actions)] = verdict.copy
    shape.skipped += verdict.action == Action.SKIP and not verdict.refusal
    shape.actions.append(Action.SKIP if verdict.refusal else verdict.action)


def _chunks(lines: Iterator[bytes]) -> Iterator[bytes]:
    buffer: list[bytes] = []
    size = 0
    for line in lines:
        buffer.append(line)
        size += len(line)
        if size >= CHUNK_BYTES:
            yield b"".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield b"".join(buffer)


def judge(statement: Statement, guard: Guard) -> Verdict:
    """Skip, run or copy one statement, or the reason it is refused."""
    if statement.meta:
        command = statement.text.split()[0]
        if command in SKIPPED_META:
            return Verdict(Action.SKIP)
        return Verdict(Action.SKIP, refusal=f"the psql command {command} is not SQL; it is refused")
    try:
        parsed = json.loads(parser.parse_sql_json(statement.text)).get("stmts", [])
    except parser.ParseError as exc:
        return Verdict(Action.SKIP, refusal=f"the statement does not parse: {exc}")
    if len(parsed) != 1:
        return Verdict(Action.SKIP) if not parsed else Verdict(Action.SKIP, refusal="one statement expected")
    name, body = next(iter(parsed[0]["stmt"].items()))
    return _known(name, body, statement.text, guard)


def _known(name: str, body: dict[str, Any], text: str, guard: Guard) -> Verdict:
    if name == "VariableSetStmt":
        return Verdict(Action.SKIP, refusal=_encoding_refusal(body))
    if name == "TransactionStmt" and body.get("kind") in SKIPPED_TRANSACTIONS:
        return Verdict(Action.SKIP)
    if _is_set_config(name, body) or _is_owner_change(name, body):
        return Verdict(Action.SKIP)
    if name == "CopyStmt":
        return _copy(body, guard)
    reason = guard(text)
    if reason and name in PRIVILEGES:
        reason += "; pg_dump --no-privileges leaves these out"
    return Verdict(Action.SKIP, refusal=reason) if reason else Verdict(Action.RUN)


def _encoding_refusal(body: dict[str, Any]) -> str:
    if body.get("name") != "client_encoding":
        return ""
    values = [a.get("A_Const", {}).get("sval", {}).get("sval", "") for a in body.get("args", [])]
    if all(v.replace("-", "").upper() == "UTF8" for v in values):
        return ""
    return "the script sets client_encoding to something other than UTF8; dump it again with -E UTF8"


def _is_set_config(name: str, body: dict[str, Any]) -> bool:
    if name != "SelectStmt" or body.get("fromClause") or len(body.get("targetList", [])) != 1:
        return False
    call = body["targetList"][0]["ResTarget"].get("val", {}).get("FuncCall")
    return bool(call) and call["funcname"][-1]["String"]["sval"] == "set_config"


def _is_owner_change(name: str, body: dict[str, Any]) -> bool:
    if name == "AlterOwnerStmt":
        return True
    commands = [c.get("AlterTableCmd", {}).get("subtype") for c in body.get("cmds", [])]
    return name == "AlterTableStmt" and bool(commands) and all(c == "AT_ChangeOwner" for c in commands)


def _copy(body: dict[str, Any], guard: Guard) -> Verdict:
    reason = _copy_source_refusal(body)
    options = _copy_options(body.get("options", []))
    if isinstance(options, str):
        reason = reason or options
    if reason or not isinstance(options, dict):
        # Its data still follows when it is FROM stdin, and must be passed over.
        stdin = body.get("is_from") and not body.get("filename") and not body.get("is_program")
        return Verdict(Action.COPY if stdin else Action.SKIP, _target(body, {}) if stdin else None, reason)
    target = _target(body, options)
    named = ".".join(quote_ident(p) for p in (target.schema, target.table) if p)
    reason = guard(f"INSERT INTO {named} DEFAULT VALUES")
    return Verdict(Action.COPY, target, reason)


def _copy_source_refusal(body: dict[str, Any]) -> str:
    if body.get("is_program"):
        return "COPY ... PROGRAM is refused: it runs a program on the database server"
    if not body.get("is_from"):
        return "COPY ... TO is refused: a script may only load data (COPY ... FROM stdin)"
    if body.get("filename"):
        return "COPY FROM a file is refused: it reads the server's files; put the data after FROM stdin"
    if body.get("whereClause") or not body.get("relation"):
        return "COPY ... WHERE is refused: load the rows, then delete the ones not wanted"
    return ""


def _target(body: dict[str, Any], options: dict[str, Any]) -> CopyIn:
    relation = body.get("relation") or {}
    columns = [c["String"]["sval"] for c in body.get("attlist", [])] or None
    return CopyIn(relation.get("schemaname"), relation.get("relname", ""), columns, options)


def _copy_options(options: list[dict[str, Any]]) -> dict[str, Any] | str:
    out: dict[str, Any] = {}
    for option in options:
        name, value = option["DefElem"]["defname"], _value(option["DefElem"].get("arg"))
        if name == "format" and str(value).lower() in ("text", "csv"):
            out["format"] = str(value).lower()
        elif name == "header" and str(value).lower() in ("true", "on", "1", "false", "off", "0"):
            out["header"] = str(value).lower() in ("true", "on", "1")
        elif name in COPY_TEXT_OPTIONS and isinstance(value, str):
            out[name] = value
        else:
            return (f"COPY option {name} is refused: only format text or csv, delimiter, null, header, "
                    "quote, escape and encoding are loaded")
    return out


def _value(arg: dict[str, Any] | None) -> str | None:
    """A DefElem's argument as text (pglast leaves out zero and false)."""
    if arg is None:
        return "true"
    kind, inner = next(iter(arg.items()))
    if kind == "String":
        return str(inner.get("sval", ""))
    if kind == "Boolean":
        return "true" if inner.get("boolval") else "false"
    return str(inner.get("ival", 0)) if kind == "Integer" else None
