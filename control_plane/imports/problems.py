"""Why a file cannot be imported, with where in the file, as the import's error list records it."""

from __future__ import annotations

from typing import Any

from control_plane.errors import InvalidInput


class BadImport(InvalidInput):
    """The file (or the table it would go into) is not loadable; nothing was changed."""

    code = "invalid_import"

    def __init__(self, message: str, *, line: int | None = None, column: str | None = None,
                 code: str | None = None) -> None:
        where = f"line {line}: " if line is not None else ""
        super().__init__(f"{where}{message}", code=code)
        self.line = line
        self.column = column
        self.detail = message

    def as_json(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.detail, "code": self.code}
