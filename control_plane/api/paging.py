"""Cursor paging for the /v1 lists: an opaque cursor in, a ``Link: <...>; rel="next"`` header out.

The body stays the plain list it always was; a page as long as ``limit``
carries a ``Link`` to the next one. The cursor is the last row's
``(created_at, id)``, so rows added while paging are never skipped or repeated.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query, Request, Response

from control_plane.api.fields import Cursor
from control_plane.api.openapi import header
from control_plane.errors import InvalidCursor
from control_plane.services.paging import Position

MAX_LIMIT = 200
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")]
CursorQuery = Annotated[Cursor | None, Query(description="from the previous page's Link header")]
LINK_HEADER = header(200, "Link", 'the next page (<url>; rel="next") when this page is full')


def encode(created_at: datetime, row_id: UUID) -> str:
    micros = (created_at - EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{row_id.hex}"


def decode(cursor: str | None) -> Position | None:
    """The position a cursor names; the field's pattern has already admitted only decodable text."""
    if cursor is None:
        return None
    micros, row_id = cursor.split(".")
    try:
        return EPOCH + timedelta(microseconds=int(micros)), UUID(hex=row_id)
    except (ValueError, OverflowError):
        raise InvalidCursor("cursor was not issued by this server") from None


def link_next(request: Request, response: Response, items: list[Any], limit: int) -> None:
    """Point at the next page when this one is full."""
    if len(items) == limit and items:
        last = items[-1]
        url = request.url.include_query_params(limit=limit, cursor=encode(last.created_at, last.id))
        response.headers["Link"] = f'<{url.path}?{url.query}>; rel="next"'
