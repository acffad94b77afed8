"""Step 1 of a call: who is calling. Bearer token -> checksum -> HMAC -> cache or catalog -> a Grant.

A cached token costs one dict lookup and a few comparisons, no I/O. A miss
costs one catalog query. A token that fails its checksum is refused before
any I/O. When the catalog is unreachable, tokens already in the cache keep
working (for up to ``stale_grace`` seconds past their TTL); any other token
gets 503, never access.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from control_plane import tokens
from control_plane.catalog.endpoints import EndpointStatus
from control_plane.errors import InvalidToken, Unavailable
from control_plane.observability.context import note_caller
from control_plane.sealing import Sealed
from data_plane import catalog

Clock = Callable[[], float]
Lookup = Callable[[bytes], Awaitable[asyncpg.Record | None]]
MAX_ENTRIES = 100_000
MAX_LOOKUPS = 16
PUBLIC_TOKEN = UUID(int=0)
DEFAULT_TOOL_CAP = 20


@dataclass(frozen=True, slots=True)
class Grant:
    """What a valid token opens: one endpoint, read or read-write."""

    token_id: UUID
    tenant_id: UUID
    endpoint_id: UUID
    slug: str
    plan: str
    can_write: bool
    owner_dsn: Sealed | None
    reader_dsn: Sealed | None
    seen_at: float = 0.0
    allow_writes: bool = False
    tool_cap: int = DEFAULT_TOOL_CAP
    support: bool = False  # a support credential's grant: token_id is its request, audited as support.use


@dataclass(frozen=True, slots=True)
class Entry:
    """A cached lookup: the grant (None for an unknown token) and the facts that can change with time."""

    grant: Grant | None
    token_hash: bytes
    expires_at: float | None
    usable: bool
    fetched_at: float


def bearer(value: bytes | None) -> str:
    """The token from an ``Authorization: Bearer ...`` value; malformed is Unauthorized."""
    if value is None:
        raise InvalidToken("an Authorization: Bearer token is required")
    scheme, _, token = value.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("an Authorization: Bearer token is required")
    return token.strip()


def public_grant(row: asyncpg.Record, now: float) -> Grant:
    """Read access for an endpoint's public documents: no token, the read-only pool."""
    reader = Sealed(row["seal_key_id"], row["sealed_reader_dsn"]) if row["seal_key_id"] else None
    return Grant(PUBLIC_TOKEN, row["tenant_id"], row["id"], row["slug"], row["plan"], False, None, reader,
                 now, *_settings(row))


def _settings(row: asyncpg.Record) -> tuple[bool, int]:
    """The endpoint's tool settings (defaults for rows from before migration 0008, or stand-ins)."""
    return bool(row.get("allow_writes", False)), int(row.get("tool_cap", DEFAULT_TOOL_CAP))


def _entry(row: asyncpg.Record | None, token_hash: bytes, now: float) -> Entry:
    if row is None:
        return Entry(None, token_hash, None, False, now)
    sealed = row["seal_key_id"]
    grant = Grant(
        row["id"], row["tenant_id"], row["endpoint_id"], row["slug"], row["plan"],
        "mcp:write" in row["scopes"],
        Sealed(sealed, row["sealed_owner_dsn"]) if sealed and row["sealed_owner_dsn"] else None,
        Sealed(sealed, row["sealed_reader_dsn"]) if sealed and row["sealed_reader_dsn"] else None,
        now, *_settings(row),
    )
    expires = row["expires_at"].timestamp() if row["expires_at"] is not None else None
    usable = row["revoked_at"] is None and row["status"] == EndpointStatus.READY
    return Entry(grant, token_hash, expires, usable, now)


class Authenticator:
    """Resolves tokens to grants with an in-process cache; invalidations drop entries at once."""

    def __init__(self, lookup: Lookup, pepper: bytes, *, ttl: float, clock: Clock,
                 stale_grace: float = 300.0, max_entries: int = MAX_ENTRIES,
                 max_lookups: int = MAX_LOOKUPS) -> None:
        self._lookup = lookup
        self._pepper = pepper
        self._ttl = ttl
        self._clock = clock
        self._grace = stale_grace
        self._max = max_entries
        self._cache: dict[str, Entry] = {}
        self._by_hash: dict[bytes, str] = {}
        self._inflight: dict[str, asyncio.Task[Entry]] = {}
        # a flood of well-formed unknown tokens costs the catalog at most this many queries at a time
        self._gate = asyncio.Semaphore(max_lookups)
        self.lookups = 0
        self.hits = 0  # checks answered from the cache, with no I/O

    @classmethod
    def on_pool(cls, pool: asyncpg.Pool, pepper: bytes, *, ttl: float, clock: Clock) -> Authenticator:
        async def lookup(token_hash: bytes) -> asyncpg.Record | None:
            return await catalog.find_token(pool, token_hash)

        return cls(lookup, pepper, ttl=ttl, clock=clock)

    async def check(self, token: str, slug: str) -> Grant:
        """The grant for ``token`` on endpoint ``slug``; Unauthorized or Unavailable otherwise."""
        now = self._clock()
        entry = self._cache.get(token)
        if entry is None or now - entry.fetched_at > self._ttl:
            entry = await self._refresh(token, entry, now)
        else:
            self.hits += 1
        grant = entry.grant
        if grant is None or not entry.usable or grant.slug != slug:
            raise InvalidToken("the token is not valid for this endpoint")
        if entry.expires_at is not None and entry.expires_at <= now:
            raise InvalidToken("the token has expired")
        note_caller(grant.tenant_id, grant.endpoint_id)
        return grant

    async def _refresh(self, token: str, stale: Entry | None, now: float) -> Entry:
        if not tokens.is_well_formed(token, tokens.ENDPOINT_PREFIX):
            raise InvalidToken("the token is not valid for this endpoint")
        task = self._inflight.get(token)
        if task is None:  # one lookup however many calls of a new token arrive together
            task = asyncio.create_task(self._fetch(token, stale, now))
            self._inflight[token] = task
            task.add_done_callback(lambda _: self._inflight.pop(token, None))
        return await asyncio.shield(task)

    async def _fetch(self, token: str, stale: Entry | None, now: float) -> Entry:
        token_hash = tokens.digest(token, self._pepper)
        self.lookups += 1
        try:
            async with self._gate:
                row = await self._lookup(token_hash)
        except Unavailable:
            if stale is not None and now - stale.fetched_at <= self._ttl + self._grace:
                return stale
            raise
        entry = _entry(row, token_hash, now)
        self._store(token, entry)
        return entry

    def _store(self, token: str, entry: Entry) -> None:
        if len(self._cache) >= self._max and token not in self._cache:
            # dicts keep insertion order: the oldest entry goes first
            self._drop(next(iter(self._cache)))
        self._cache[token] = entry
        self._by_hash[entry.token_hash] = token

    def forget_hash(self, token_hash: bytes) -> int:
        """Drop the entry of one token (revoked or rotated away); returns how many went."""
        token = self._by_hash.get(token_hash)
        if token is None:
            return 0
        self._drop(token)
        return 1

    def forget_endpoint(self, endpoint_id: UUID) -> int:
        """Drop every entry of an endpoint (deleting, deleted, or its DSN changed)."""
        return self._forget(lambda e: e.grant is not None and e.grant.endpoint_id == endpoint_id)

    def forget_all(self) -> None:
        """After invalidations may have been missed (a lost subscription), trust nothing cached."""
        self._cache.clear()
        self._by_hash.clear()

    def _forget(self, match: Callable[[Entry], bool]) -> int:
        doomed = [token for token, entry in self._cache.items() if match(entry)]
        for token in doomed:
            self._drop(token)
        return len(doomed)

    def _drop(self, token: str) -> None:
        entry = self._cache.pop(token, None)
        if entry is not None:
            self._by_hash.pop(entry.token_hash, None)
