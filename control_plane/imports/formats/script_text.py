"""A SQL script read statement by statement, with the line each starts on, and ``COPY ... FROM stdin`` data.

Memory holds one statement (at most ``MAX_STATEMENT`` characters) or one line
of COPY data, never the file. Lines must be UTF-8; psql meta-commands (a line
starting with a backslash between statements) come back as ``meta``
statements for the caller to judge.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from control_plane.errors import (
    BadCopyData,
    InvalidEncoding,
    LineTooLong,
    StatementTooLong,
    UnterminatedCopy,
    UnterminatedQuote,
)
from control_plane.imports.formats.lexer import Lexer

MAX_LINE = 16 * 1024 * 1024
MAX_STATEMENT = 32 * 1024 * 1024
END_OF_DATA = b"\\."


@dataclass(frozen=True)
class Statement:
    line: int
    text: str
    meta: bool = False


class ScriptText:
    """Statements in order from an open binary file; ``data`` reads the COPY data after one."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.line = 0
        self.lexer = Lexer()
        self.ready: deque[Statement] = deque()
        self.parts: list[str] = []
        self.size = 0
        self.first: int | None = None

    def statements(self) -> Iterator[Statement]:
        while True:
            while not self.ready:
                raw = self._readline()
                if not raw:
                    self._flush()
                    break
                self._feed(self._decode(raw))
            if not self.ready:
                return
            yield self.ready.popleft()

    def data(self, statement: Statement) -> Iterator[bytes]:
        """The lines after a COPY statement up to (not including) the ``\\.`` line."""
        if self.ready or self.first is not None:
            raise BadCopyData("COPY data must start on the line after the COPY statement",
                              line=statement.line)
        self.parts, self.size = [], 0
        while raw := self._readline():
            if raw.rstrip(b"\r\n") == END_OF_DATA:
                return
            yield raw
        raise UnterminatedCopy("the COPY data after this statement never ends with a line holding \\.",
                               line=statement.line)

    def _readline(self) -> bytes:
        raw = self.handle.readline(MAX_LINE + 1)
        if len(raw) > MAX_LINE:
            raise LineTooLong("a line is longer than 16 MiB", line=self.line + 1)
        if raw:
            self.line += 1
        return raw

    def _decode(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8-sig" if self.line == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidEncoding(f"the script is not UTF-8: {exc.reason}", line=self.line) from exc

    def _feed(self, text: str) -> None:
        if self.first is None and self.lexer.state == "" and text.lstrip().startswith("\\"):
            self.parts, self.size = [], 0
            self.ready.append(Statement(self.line, text.strip(), meta=True))
            return
        ends = self.lexer.feed(text)
        begin = 0
        for end in [*ends, None]:
            stop = len(text) if end is None else end + 1
            start = next((s for s in self.lexer.starts if begin <= s < stop), None)
            self._add(text[begin:stop] if start is None or self.first is not None else text[start:stop],
                      start is not None)
            if end is not None:
                self._finish()
            begin = stop

    def _add(self, part: str, starts_here: bool) -> None:
        if starts_here and self.first is None:
            self.first, self.parts, self.size = self.line, [], 0  # comments before a statement are not kept
        self.size += len(part)
        if self.size > MAX_STATEMENT:
            raise StatementTooLong("a statement is longer than 32 MiB", line=self.first or self.line)
        self.parts.append(part)

    def _finish(self) -> None:
        if self.first is not None:
            self.ready.append(Statement(self.first, "".join(self.parts).strip()))
        self.parts, self.size, self.first = [], 0, None

    def _flush(self) -> None:
        """psql runs a last statement that lacks its semicolon; so does this."""
        if self.lexer.state not in ("", "/*"):
            raise UnterminatedQuote("the script ends inside a quoted string or body",
                                    line=self.first or self.line)
        self._finish()
