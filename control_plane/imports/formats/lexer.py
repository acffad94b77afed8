"""Where SQL statements end: a line-at-a-time scanner that knows quotes, dollar quotes and comments.

pglast parses one statement at a time, and a dump interleaves statements with
``COPY`` data it cannot parse, so the script is cut here first: a semicolon
ends a statement only outside strings (``'...'``, ``E'...'``), quoted
identifiers, dollar-quoted bodies and comments (nested ``/* */`` included).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NORMAL = re.compile(r"""[;'"$]|--|/\*|\S""")
_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
_IDENT_CHAR = re.compile(r"[A-Za-z0-9_$]")
_COMMENT = re.compile(r"/\*|\*/")


@dataclass
class Lexer:
    """Feed lines in order; each ``feed`` says where top-level semicolons are and whether content began."""

    state: str = ""  # "" | "'" | "e'" | '"' | "/*" | a dollar tag such as "$body$"
    depth: int = 0
    content: bool = False
    ends: list[int] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)

    def feed(self, line: str) -> list[int]:
        """Offsets of the semicolons in ``line`` that end a statement (``starts``: where content began)."""
        self.ends, self.starts = [], []
        at = 0
        while at < len(line):
            at = self._step(line, at)
        return self.ends

    def _step(self, line: str, at: int) -> int:
        if self.state == "":
            return self._normal(line, at)
        if self.state == "/*":
            return self._comment(line, at)
        if self.state.startswith("$"):
            end = line.find(self.state, at)
            return self._close(len(line) if end < 0 else end + len(self.state), end >= 0)
        return self._quoted(line, at)

    def _normal(self, line: str, at: int) -> int:
        found = _NORMAL.search(line, at)
        if found is None:
            return len(line)
        token, start = found.group(), found.start()
        if token == "--":
            return len(line)
        if token == "/*":
            self.state, self.depth = "/*", 1
            return start + 2
        if not self.content and token != ";":
            self.content = True
            self.starts.append(start)
        if token == ";":
            self.ends.append(start)
            self.content = False
            return start + 1
        return self._opening(line, token, start)

    def _opening(self, line: str, token: str, start: int) -> int:
        if token == "'":
            before = line[start - 2] if start > 1 else " "
            escaped = start > 0 and line[start - 1] in "eE" and not _IDENT_CHAR.match(before)
            self.state = "e'" if escaped else "'"
            return start + 1
        if token == '"':
            self.state = '"'
            return start + 1
        if token == "$" and not (start > 0 and _IDENT_CHAR.match(line[start - 1])):
            tag = _DOLLAR.match(line, start)
            if tag:
                self.state = tag.group()
                return tag.end()
        return start + 1

    def _quoted(self, line: str, at: int) -> int:
        quote = self.state[-1]
        while at < len(line):
            char = line[at]
            if char == "\\" and self.state == "e'":
                at += 2
                continue
            if char == quote:
                return self._close(at + 1, True)
            at += 1
        return at

    def _comment(self, line: str, at: int) -> int:
        found = _COMMENT.search(line, at)
        if found is None:
            return len(line)
        self.depth += 1 if found.group() == "/*" else -1
        if self.depth == 0:
            self.state = ""
        return found.end()

    def _close(self, at: int, closed: bool) -> int:
        if closed:
            self.state = ""
        return at
