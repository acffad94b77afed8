"""Cursor paging for the /v1 lists: an opaque cursor in, a ``Link: <...>; rel="next"`` header out.

The body stays the plain list it always was; a page as long as ``limit``
carries a ``Link`` to the next one. The cursor is the last row's
``(created_at, id)``, so rows added while paging are never skipped or repeated.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query, Request, Response

from control_plane.api.fields import Cursor
from control_plane.api.openapi import header
from control_plane.errors import InvalidInput
from control_plane.services.paging import Position

MAX_LIMIT = 200
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")]
CursorQuery = Annotated[Cursor | None, Query(description="from the previous page's Link header")]
LINK_HEADER = header(200, "Link", 'the next page (<url>; rel="next") when this page is full')


def encode(created_at: datetime, row_id: UUID) -> str:
    raw = f"{created_at.isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None) -> Position | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, row_id = raw.split("|")
        return datetime.fromisoformat(when), UUID(row_id)
    except ValueError:
        raise InvalidInput("cursor was not issued by this server", code="invalid_cursor") from None


def link_next(request: Request, response: Response, items: list[Any], limit: int) -> None:
    """Point at the next page when this one is full."""
    if len(items) == limit and items:
        last = items[-1]
        url = request.url.include_query_params(limit=limit, cursor=encode(last.created_at, last.id))
        response.headers["Link"] = f'<{url.path}?{url.query}>; rel="next"'
