"""Browser sessions: a random cookie value, kept only as its HMAC with the user and an absolute expiry.

Entry points: ``start(ctx, user_id, ttl, replacing=)`` (a fresh value at every
sign-in; the session it replaces ends), ``find(ctx, value)`` and ``end``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from control_plane import tokens
from control_plane.services.context import Context, transaction

START = "INSERT INTO web_sessions (session_hash, user_id, expires_at) VALUES ($1, $2, $3)"
FIND = """
SELECT s.user_id, u.email, s.created_at FROM web_sessions s JOIN users u ON u.id = s.user_id
WHERE s.session_hash = $1 AND s.expires_at > $2
"""
END = "DELETE FROM web_sessions WHERE session_hash = $1"
MAX_VALUE = 128


@dataclass(frozen=True)
class Session:
    user_id: UUID
    email: str
    started_at: datetime


async def start(ctx: Context, user_id: UUID, ttl: timedelta, *, replacing: str | None = None) -> str:
    """A new session value for ``user_id``; the session named by ``replacing`` ends (rotation)."""
    value = secrets.token_urlsafe(32)
    async with transaction(ctx, None) as conn:
        if replacing:
            await conn.execute(END, tokens.digest(replacing[:MAX_VALUE], ctx.pepper))
        await conn.execute(START, tokens.digest(value, ctx.pepper), user_id, ctx.clock() + ttl)
    return value


async def find(ctx: Context, value: str) -> Session | None:
    if not value or len(value) > MAX_VALUE:
        return None
    async with transaction(ctx, None) as conn:
        row = await conn.fetchrow(FIND, tokens.digest(value, ctx.pepper), ctx.clock())
    return Session(row["user_id"], row["email"], row["created_at"]) if row else None


async def end(ctx: Context, value: str) -> None:
    async with transaction(ctx, None) as conn:
        await conn.execute(END, tokens.digest(value[:MAX_VALUE], ctx.pepper))
