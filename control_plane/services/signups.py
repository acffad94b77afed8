"""Sign-up by confirmed address: the answer never tells whether the address has an account.

Used when Berth sends mail. Entry points: ``request(ctx, email, password,
tenant_name, site)`` checks the fields, hashes the password, and returns the
one mail to send: for a new address a confirmation link (the sign-up is kept
in ``pending_signups``, no user or tenant yet), for an address with an account
a note to its owner (nothing kept, nothing changed), or None when the address
has had its share of mail this hour. The caller answers the same in every case
and sends after answering. ``confirm(ctx, token, password, attempt)`` turns a
pending sign-up into the account, once: the link proves the address, the
password proves it is the person who signed up, so neither a stranger who used
someone's address nor its owner clicking a link they never asked for makes an
account. A used, expired or unknown link is 401 ``invalid_signup_link``; a
wrong password is 401 ``invalid_credentials``, throttled like a login. ``prune``
is the worker's: expired sign-ups go.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from control_plane import tokens
from control_plane.errors import InvalidCredentials, InvalidSignupLink, Unauthorized
from control_plane.mail.sender import Mail
from control_plane.redis.connect import REDIS_DOWN
from control_plane.services import audit, identity, login_throttle
from control_plane.services.context import Context, transaction
from control_plane.services.passwords import MAX_LENGTH

TTL = timedelta(hours=24)
MAIL_WINDOW = timedelta(hours=1)
PER_ADDRESS = 5  # mails per address per window, either kind; more are silently not sent
MAX_TOKEN = 128
CONFIRM_PATH = "/signup/confirm?token="
SIGN_IN_PATH = "/login"

OWNER = "SELECT email FROM users WHERE lower(email) = lower($1)"
INSERT = """
INSERT INTO pending_signups (token_hash, email, password_hash, tenant_name, expires_at)
VALUES ($1, $2, $3, $4, $5)
"""
FIND = "SELECT email, password_hash FROM pending_signups WHERE token_hash = $1 AND expires_at > $2"
TAKE = """
DELETE FROM pending_signups WHERE token_hash = $1 AND expires_at > $2
RETURNING email, password_hash, tenant_name
"""
DROP_OTHERS = "DELETE FROM pending_signups WHERE lower(email) = lower($1)"
# Confirmations of one address queue here: two links of the same address taken at once would each
# hold its own row and wait for the other's in DROP_OTHERS (a deadlock) without it.
LOCK_ADDRESS = "SELECT pg_advisory_xact_lock(hashtextextended('berth:signup:' || lower($1), 0))"
PRUNE = """
DELETE FROM pending_signups WHERE token_hash IN (
  SELECT token_hash FROM pending_signups WHERE expires_at <= $1 LIMIT $2
)
"""

CONFIRM_SUBJECT = "Confirm your Berth sign-up"
CONFIRM_BODY = """Someone (we hope you) asked to create a Berth account with this address.

Open this link within 24 hours and enter the password you chose to finish. It works once.

{link}

If it was not you, ignore this message: no account is made without the link and that password.
"""
TAKEN_SUBJECT = "Someone tried to sign up to Berth with your address"
TAKEN_BODY = """Someone (maybe you) tried to create a Berth account with this address, which already has one.
Nothing was changed, and no new account was made.

To sign in, go to {link}. If you forgot your password, ask for a sign-in link on that page.

If it was not you, you need not do anything: your account is as it was.
"""
CHECK_MAIL = ("We sent a message to that address. If you are signing up, open its link within 24 hours "
              "and enter the password you chose.")

log = logging.getLogger("berth.signup")


@dataclass(frozen=True)
class Pending:
    """What a pending sign-up holds once found: its address and its password's hash."""

    email: str
    password_hash: str


def _invalid() -> Unauthorized:
    return InvalidSignupLink("this sign-up link is used, expired or unknown")


async def _under_limit(ctx: Context, email: str) -> bool:
    """One more mail for ``email`` this window; Redis down lets it through (logged)."""
    key = "berth:signup:" + hashlib.sha256(email.lower().encode("utf-8", "replace")).hexdigest()[:32]
    try:
        count = int(await ctx.redis.incr(key))
        if count == 1:
            await ctx.redis.expire(key, int(MAIL_WINDOW.total_seconds()))
    except REDIS_DOWN as exc:
        log.warning("sign-up mail limit unavailable: %s", type(exc).__name__)
        return True
    return count <= PER_ADDRESS


async def request(ctx: Context, email: str, password: str, tenant_name: str, site: str) -> Mail | None:
    """The mail to send for a sign-up at ``site`` (Berth's public URL); see the module's docstring.

    Both kinds of address cost the same work before the answer: one argon2id hash, one Redis
    count, one catalog transaction.
    """
    email, tenant_name = identity.check_signup(email, password, tenant_name)
    password_hash = await ctx.passwords.hash(password)
    if not await _under_limit(ctx, email):
        return None
    token = secrets.token_urlsafe(32)
    async with transaction(ctx, None) as conn:
        owner: str | None = await conn.fetchval(OWNER, email)
        if owner is None:
            await conn.execute(INSERT, tokens.digest(token, ctx.pepper), email, password_hash, tenant_name,
                               ctx.clock() + TTL)
    if owner is not None:
        return Mail(owner, TAKEN_SUBJECT, TAKEN_BODY.format(link=site + SIGN_IN_PATH))
    return Mail(email, CONFIRM_SUBJECT, CONFIRM_BODY.format(link=site + CONFIRM_PATH + token))


async def _find(ctx: Context, token_hash: bytes) -> Pending:
    async with transaction(ctx, None) as conn:
        row = await conn.fetchrow(FIND, token_hash, ctx.clock())
    if row is None:
        raise _invalid()
    return Pending(row["email"], row["password_hash"])


async def confirm(ctx: Context, token: str, password: str,
                  attempt: identity.Attempt) -> identity.SignedUp:
    """The account of a pending sign-up, made once; ``attempt`` gives the client and request id."""
    if not token or len(token) > MAX_TOKEN:
        raise _invalid()
    token_hash = tokens.digest(token, ctx.pepper)
    pending = await _find(ctx, token_hash)
    account, address = login_throttle.counters(pending.email, attempt.client)
    await login_throttle.check(ctx.redis, (account, address), ctx.clock())
    if not await ctx.passwords.verify(pending.password_hash, password[:MAX_LENGTH]):
        await login_throttle.failed(ctx.redis, (account, address), ctx.clock())
        raise InvalidCredentials("that is not the password chosen at sign-up")
    made = await _open(ctx, token_hash, pending.email, attempt)
    await login_throttle.succeeded(ctx.redis, account)
    return made


async def _open(ctx: Context, token_hash: bytes, email: str, attempt: identity.Attempt) -> identity.SignedUp:
    """Take the pending row (one taker wins) and make its account in the same transaction.

    An address that got an account meanwhile (an invitation, the operator) keeps it: the pending
    sign-ups of that address go, and the link is refused like a used one.
    """
    caller = identity.new_owner(attempt.request_id)
    async with transaction(ctx, caller.tenant_id) as conn:
        await conn.execute(LOCK_ADDRESS, email)
        row = await conn.fetchrow(TAKE, token_hash, ctx.clock())
        if row is not None:
            await conn.execute(DROP_OTHERS, row["email"])
            if await conn.fetchval(OWNER, row["email"]) is None:
                made = await identity.open_account(conn, ctx, caller, row["email"], row["password_hash"],
                                                   row["tenant_name"])
                await audit.record(conn, caller, "signup.confirm", made.user_id,
                                   detail={"client": attempt.client})
                return made
    raise _invalid()


async def prune(pool: asyncpg.Pool, now: datetime, *, batch: int) -> int:
    """Delete at most ``batch`` sign-ups whose link expired by ``now`` (the worker's prune job); how many."""
    status: str = await pool.execute(PRUNE, now, batch)
    return int(status.split()[-1])
