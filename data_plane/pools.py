"""Step 3 of a call: a connection to the endpoint's own database.

One asyncpg pool per (endpoint, read or write), opened on first use by a
single task however many calls wait for it, kept in LRU order under a cap on
the number of pools and on the connections they may hold together, closed
when idle and at once when the endpoint is invalidated. Connection strings
are unsealed only to open a pool and never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from control_plane.dsn import for_asyncpg
from control_plane.errors import EndpointUnavailable, InvalidToken
from control_plane.sealing import DsnPurpose, Sealer, SealError
from data_plane.auth import Grant
from data_plane.tools.contract import QueryLimits
from data_plane.tools.running import session_settings

Key = tuple[UUID, bool]
Connect = Callable[[str, int, bool], Awaitable[asyncpg.Pool]]
MAX_REMEMBERED = 10_000
RETRY_DELAYS = (0.05, 0.2, 0.5)
CLOSE_TIMEOUT = 5.0
DEFAULT_MAX_QUERIES = 50_000  # asyncpg's own default
# A read connection is replaced after this many queries: the bound on what a skipped reset could keep.
READ_MAX_QUERIES = 5_000
COLD_START_ERRORS = (OSError, asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError,
                     asyncpg.ConnectionDoesNotExistError)


@dataclass(frozen=True)
class PoolLimits:
    max_size: int = 4
    max_pools: int = 1000
    connection_budget: int = 200
    idle_seconds: float = 300.0
    statement_timeout_ms: int = 5000


@dataclass
class Slot:
    pool: asyncpg.Pool
    last_used: float


def connector(statement_timeout_ms: int, idle_seconds: float) -> Connect:
    """How pools are opened: with the tools' session settings as startup parameters.

    Startup parameters survive a reset, so every session stays under the
    statement timeout and read pools stay read-only; a read is then one ``fetch``
    (``QueryLimits.preset_session``). Read pools skip asyncpg's reset query on
    release (one round trip per call) when nothing is left to reset; see ``reset_read``.
    """
    session = QueryLimits(statement_timeout_ms)

    async def connect(dsn: str, max_size: int, read_only: bool) -> asyncpg.Pool:
        settings = {"application_name": "berth:gateway", **session_settings(session, read_only=read_only)}
        usable = for_asyncpg(dsn)  # also for strings sealed before providers cut them
        return await asyncpg.create_pool(
            usable, min_size=1, max_size=max_size, server_settings=settings,
            max_inactive_connection_lifetime=idle_seconds,
            reset=reset_read if read_only else None,
            max_queries=READ_MAX_QUERIES if read_only else DEFAULT_MAX_QUERIES)
    return connect


async def reset_read(conn: asyncpg.Connection) -> None:
    """Release a read connection without a round trip when it is as it was opened.

    A read token runs only what the read guard allows: no SET, no LISTEN, no
    cursor, no prepared statement, and only built-in functions that change
    nothing (``set_config`` and the advisory locks are refused), so a read call
    leaves nothing for asyncpg's ``RESET ALL; UNLISTEN *; CLOSE ALL;
    pg_advisory_unlock_all()`` to undo. asyncpg rolls back a transaction left
    open before this runs; what the guard cannot see is checked here for free:
    read-only switched off (the server reports that setting with every change)
    gets the full reset. The one gap, an owner's own function mislabelled
    STABLE that changes another setting, lasts at most ``READ_MAX_QUERIES``
    queries: the connection is then replaced.
    """
    if conn.get_settings().default_transaction_read_only != "on":
        await conn.reset()


class Pools:
    def __init__(self, sealer: Sealer, limits: PoolLimits, *, connect: Connect | None = None,
                 clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time) -> None:
        self._sealer = sealer
        self._limits = limits
        self._connect = connect or connector(limits.statement_timeout_ms, limits.idle_seconds)
        self._clock = clock
        self._wall = wall
        self._invalidated: dict[UUID, float] = {}
        self._open: OrderedDict[Key, Slot] = OrderedDict()
        self._opening: dict[Key, asyncio.Task[asyncpg.Pool]] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._open)

    def connections(self) -> int:
        """Connections the open pools hold now (idle ones included)."""
        return sum(slot.pool.get_size() for slot in self._open.values())

    async def get(self, grant: Grant) -> asyncpg.Pool:
        """The pool for this grant's endpoint and access; Unavailable if the database cannot be reached."""
        key = (grant.endpoint_id, grant.can_write)
        if self._invalidated.get(grant.endpoint_id, 0.0) >= grant.seen_at:
            # the grant was read before the endpoint was invalidated: a call in flight must not reopen it
            raise InvalidToken("the token is not valid for this endpoint")
        slot = self._open.get(key)
        if slot is not None:
            slot.last_used = self._clock()
            self._open.move_to_end(key)
            return slot.pool
        task = self._opening.get(key)
        if task is None:
            task = asyncio.create_task(self._create(key, grant))
            self._opening[key] = task
            task.add_done_callback(lambda _: self._opening.pop(key, None))
        return await asyncio.shield(task)

    async def _create(self, key: Key, grant: Grant) -> asyncpg.Pool:
        dsn = self._unseal(grant)
        self._make_room()
        pool = await self._connect_with_retries(dsn, read_only=not grant.can_write)
        self._open[key] = Slot(pool, self._clock())
        return pool

    def _unseal(self, grant: Grant) -> str:
        purpose: DsnPurpose = "owner" if grant.can_write else "reader"
        sealed = grant.owner_dsn if grant.can_write else grant.reader_dsn
        if sealed is None:
            raise EndpointUnavailable("the endpoint has no database yet")
        try:
            return self._sealer.open_dsn(sealed, grant.endpoint_id, purpose)
        except SealError as exc:
            raise EndpointUnavailable("the endpoint's connection cannot be opened") from exc

    async def _connect_with_retries(self, dsn: str, *, read_only: bool) -> asyncpg.Pool:
        for delay in (*RETRY_DELAYS, None):
            try:
                return await self._connect(dsn, self._limits.max_size, read_only)
            except COLD_START_ERRORS as exc:
                if delay is None:
                    raise EndpointUnavailable("the endpoint's database is unreachable") from exc
                await asyncio.sleep(delay)
            except asyncpg.PostgresError as exc:
                raise EndpointUnavailable("the endpoint's database refused the connection") from exc
        raise AssertionError("unreachable")

    def _make_room(self) -> None:
        limits = self._limits
        while self._open and (len(self._open) >= limits.max_pools
                              or (len(self._open) + 1) * limits.max_size > limits.connection_budget):
            _, slot = self._open.popitem(last=False)
            self._close_later(slot.pool, graceful=True)

    def _close_later(self, pool: asyncpg.Pool, *, graceful: bool) -> None:
        task = asyncio.create_task(_close(pool, graceful))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def close_endpoint(self, endpoint_id: UUID) -> int:
        """Terminate the endpoint's pools now: its tokens are gone or its database is going."""
        if len(self._invalidated) >= MAX_REMEMBERED:
            del self._invalidated[next(iter(self._invalidated))]
        self._invalidated[endpoint_id] = self._wall()
        doomed = [key for key in self._open if key[0] == endpoint_id]
        for key in doomed:
            self._close_later(self._open.pop(key).pool, graceful=False)
        return len(doomed)

    def reap(self) -> int:
        """Close pools unused for ``idle_seconds``; returns how many."""
        cutoff = self._clock() - self._limits.idle_seconds
        idle = [key for key, slot in self._open.items() if slot.last_used < cutoff]
        for key in idle:
            self._close_later(self._open.pop(key).pool, graceful=True)
        return len(idle)

    async def aclose(self) -> None:
        for task in list(self._opening.values()):
            task.cancel()
        while self._open:
            self._close_later(self._open.popitem()[1].pool, graceful=True)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)


async def _close(pool: asyncpg.Pool, graceful: bool) -> None:
    if graceful:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(pool.close(), CLOSE_TIMEOUT)
            return
    pool.terminate()
