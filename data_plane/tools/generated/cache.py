"""Generated catalogs per (endpoint, read or write), checked against the schema's fingerprint on use.

A warm ``get`` is a dict lookup and a clock read. Once ``recheck`` seconds have
passed since the last check, the next use reads the fingerprint (one small
catalog query); only a changed fingerprint (or statistics older than a
minute) re-reads the schema and rebuilds the tools. So any change (DDL
through ``execute``, an import, psql) is seen by every replica within
``recheck`` seconds of it, with no trigger in the tenant's database.
``stale`` makes the next use check at once (after this replica's own DDL);
``forget`` drops an endpoint (an ``endpoint:<id>`` invalidation, such as an
import's).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from control_plane.errors import EndpointUnavailable
from data_plane.tools.generated import introspect
from data_plane.tools.generated.catalog import Catalog, ToolSettings, build

Key = tuple[UUID, bool]
RECHECK_SECONDS = 0.5
# Statistics (row estimates, distinct counts) change with ANALYZE, which the fingerprint does not see.
RESTAT_SECONDS = 60.0
MAX_TABLES = 500
READ_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


@dataclass
class Entry:
    catalog: Catalog
    checked: float
    built: float


class SchemaCatalogs:
    def __init__(self, generic: Callable[[bool], Sequence[dict[str, Any]]], *, max_entries: int = 1000,
                 recheck: float = RECHECK_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._generic = generic
        self._max = max_entries
        self._recheck = recheck
        self._clock = clock
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        self._refreshing: dict[Key, asyncio.Task[Catalog]] = {}
        self.builds = 0
        self.checks = 0

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, endpoint_id: UUID, can_write: bool, settings: ToolSettings,
                  pool: asyncpg.Pool) -> Catalog:
        """The current catalog; Unavailable when the database cannot be read and nothing is cached."""
        key = (endpoint_id, can_write)
        entry = self._entries.get(key)
        if entry is not None and entry.catalog.settings == settings \
                and self._clock() - entry.checked < self._recheck:
            return entry.catalog
        task = self._refreshing.get(key)
        if task is None:
            task = asyncio.create_task(self._refresh(key, settings, pool))
            self._refreshing[key] = task
            task.add_done_callback(lambda _: self._refreshing.pop(key, None))
        return await asyncio.shield(task)

    def stale(self, endpoint_id: UUID) -> None:
        """Check the fingerprint on next use (this replica just ran DDL, or a tool met a changed table)."""
        for key in ((endpoint_id, False), (endpoint_id, True)):
            entry = self._entries.get(key)
            if entry is not None:
                entry.checked = float("-inf")

    def forget(self, endpoint_id: UUID) -> int:
        """Drop the endpoint's catalogs: the next use reads the schema and its statistics again."""
        doomed = [key for key in self._entries if key[0] == endpoint_id]
        for key in doomed:
            del self._entries[key]
        return len(doomed)

    async def _refresh(self, key: Key, settings: ToolSettings, pool: asyncpg.Pool) -> Catalog:
        entry = self._entries.get(key)
        self.checks += 1
        try:
            async with pool.acquire() as conn:
                printed = await introspect.fingerprint(conn)
                if entry is not None and self._still(entry, printed, settings):
                    entry.checked = self._clock()
                    return entry.catalog
                schema = await introspect.read_schema(conn, printed, MAX_TABLES)
        except READ_ERRORS as exc:
            if entry is not None:
                return entry.catalog  # serve what we had; the next use tries again
            raise EndpointUnavailable("the endpoint's database is unreachable") from exc
        catalog = build(schema, settings, key[1], self._generic(key[1]))
        self.builds += 1
        now = self._clock()
        self._store(key, Entry(catalog, now, now))
        return catalog

    def _still(self, entry: Entry, printed: str, settings: ToolSettings) -> bool:
        catalog = entry.catalog
        fresh = self._clock() - entry.built < RESTAT_SECONDS
        return catalog.fingerprint == printed and catalog.settings == settings and fresh

    def _store(self, key: Key, entry: Entry) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
