"""Keyset paging shared by the list services: a position is the last row's (created_at, id)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

Position = tuple[datetime, UUID]

# Appended to a list query whose $1 is the tenant; rows strictly after the position, oldest first.
AFTER = """
AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::uuid))
ORDER BY created_at, id LIMIT $4
"""


def bind(after: Position | None, limit: int | None) -> tuple[datetime | None, UUID | None, int | None]:
    """The $2, $3 and $4 of a paged list query (no limit: every row)."""
    return (after[0], after[1], limit) if after else (None, None, limit)
