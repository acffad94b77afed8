"""Magic sign-in links: single use, 15 minutes, stored as an HMAC; asking answers the same for any address.

Entry points: ``prepare(ctx, email, link_for)`` returns the mail to send, or
None when the address has no account or has asked too often (the caller
answers the same either way and sends in the background, so neither the
answer nor its timing tells whether an account exists); ``consume(ctx, token)``
returns the user once, then never again.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from uuid import UUID

from control_plane import tokens
from control_plane.errors import InvalidLink
from control_plane.mail.sender import Mail
from control_plane.services.context import Context, transaction

TTL = timedelta(minutes=15)
PER_ADDRESS = 5  # links per address per TTL window; more are silently not sent
MAX_TOKEN = 128

FIND_USER = "SELECT id FROM users WHERE lower(email) = lower($1)"
INSERT = "INSERT INTO magic_links (token_hash, user_id, expires_at) VALUES ($1, $2, $3)"
CONSUME = """
UPDATE magic_links SET used_at = $2
WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id
"""
SUBJECT = "Your Berth sign-in link"
BODY = """Someone (we hope you) asked to sign in to Berth with this address.

Open this link within 15 minutes to sign in. It works once.

{link}

If you did not ask for it, ignore this message: nothing happens without the link.
"""


async def _under_limit(ctx: Context, user_id: UUID) -> bool:
    key = f"berth:magic:{user_id}"
    count = int(await ctx.redis.incr(key))
    if count == 1:
        await ctx.redis.expire(key, int(TTL.total_seconds()))
    return count <= PER_ADDRESS


async def prepare(ctx: Context, email: str, link_for: Callable[[str], str]) -> Mail | None:
    """A fresh link for the account at ``email``, as a message; None when none should be sent."""
    email = email.strip()[:320]
    async with transaction(ctx, None) as conn:
        user_id = await conn.fetchval(FIND_USER, email)
    if user_id is None or not await _under_limit(ctx, user_id):
        return None
    token = secrets.token_urlsafe(32)
    async with transaction(ctx, None) as conn:
        await conn.execute(INSERT, tokens.digest(token, ctx.pepper), user_id, ctx.clock() + TTL)
    return Mail(email, SUBJECT, BODY.format(link=link_for(token)))


async def consume(ctx: Context, token: str) -> UUID:
    """The link's user, marking it used; a used, expired or unknown link is 401 ``invalid_link``."""
    user_id: UUID | None = None
    if token and len(token) <= MAX_TOKEN:
        async with transaction(ctx, None) as conn:
            user_id = await conn.fetchval(CONSUME, tokens.digest(token, ctx.pepper), ctx.clock())
    if user_id is None:
        raise InvalidLink("this sign-in link is used, expired or unknown")
    return user_id
