"""The support path, ``/support/e/{slug}/mcp``: an approved ``bsup_`` credential, read-only, one tenant.

Only a well-formed ``bsup_`` credential is looked at (an ``smcp_`` token, an
API key or a JWT is refused with no I/O), and the normal path takes only
``smcp_`` tokens, so neither credential reaches the other's path. Nothing is
cached: every request asks the catalog, against the injected clock, whether
the request is still approved and unexpired, so an owner's revocation or the
expiry ends access at once on every replica without waiting for a broadcast.
The grant never writes (the endpoint's read-only role, no write tools), and
an endpoint of any other tenant is 404, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg

from control_plane import tokens
from control_plane.catalog.endpoints import EndpointStatus
from control_plane.catalog.tenancy import SupportStatus
from control_plane.errors import InvalidToken, NotFound, Unauthorized
from control_plane.observability.context import note_caller
from control_plane.sealing import Sealed
from data_plane.auth import DEFAULT_TOOL_CAP, Grant

Lookup = Callable[[bytes, str], Awaitable[asyncpg.Record | None]]
CHALLENGE = b'Bearer realm="berth-support", error="invalid_token"'


def _refused() -> Unauthorized:
    return InvalidToken("a support credential that is approved and unexpired is required")


class SupportAuth:
    """A support credential and an endpoint slug to a read-only grant, one catalog query every time."""

    def __init__(self, lookup: Lookup, pepper: bytes, *, clock: Callable[[], float]) -> None:
        self._lookup = lookup
        self._pepper = pepper
        self._clock = clock
        self.lookups = 0

    async def check(self, credential: str, slug: str) -> Grant:
        """The grant on ``slug``; Unauthorized (unapproved, expired, revoked), NotFound or Unavailable."""
        if not tokens.is_well_formed(credential, tokens.SUPPORT_PREFIX):
            raise _refused()
        self.lookups += 1
        row = await self._lookup(tokens.digest(credential, self._pepper), slug)
        now = self._clock()
        if row is None or row["access"] != SupportStatus.APPROVED or row["expires_at"].timestamp() <= now:
            raise _refused()
        if row["id"] is None or row["status"] != EndpointStatus.READY:
            raise NotFound("no such endpoint")
        note_caller(row["tenant_id"], row["id"])
        reader = Sealed(row["seal_key_id"], row["sealed_reader_dsn"]) if row["seal_key_id"] else None
        tool_cap = row["tool_cap"] if row["tool_cap"] is not None else DEFAULT_TOOL_CAP
        return Grant(row["request_id"], row["tenant_id"], row["id"], row["slug"], row["plan"], False, None,
                     reader, now, allow_writes=False, tool_cap=tool_cap, support=True)
