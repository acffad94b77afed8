"""Off the request path: tool-call audit rows and last-use stamps, buffered and written in batches.

Both buffers are bounded. When the catalog cannot keep up (or is down) the
oldest audit rows are dropped and counted, so a slow catalog never slows a
call or grows memory without end. ``flush`` runs on a timer and once more on
shutdown.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from control_plane.errors import Unavailable
from data_plane.catalog import AuditRow

WriteAudit = Callable[[Sequence[AuditRow]], Awaitable[None]]
WriteStamps = Callable[[dict[UUID, datetime]], Awaitable[None]]
BATCH = 500


def args_digest(arguments: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a call's arguments: equal calls match, their text is not kept."""
    return hashlib.sha256(orjson.dumps(arguments, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


class AuditBuffer:
    def __init__(self, write_audit: WriteAudit, write_stamps: WriteStamps, *, capacity: int = 10_000,
                 max_stamps: int = 100_000) -> None:
        self._write_audit = write_audit
        self._write_stamps = write_stamps
        self._rows: deque[AuditRow] = deque()
        self._capacity = capacity
        self._stamps: dict[UUID, datetime] = {}
        self._max_stamps = max_stamps
        self.dropped = 0
        self.written = 0
        # One flush at a time: a caller's flush then returns only once rows queued before it (and
        # popped by a timer's flush still writing them) are in the catalog.
        self._flushing = asyncio.Lock()

    def __len__(self) -> int:
        return len(self._rows)

    def record(self, row: AuditRow) -> None:
        """Queue one tool call's row and its token's last use; O(1), never blocks."""
        if len(self._rows) >= self._capacity:
            self._rows.popleft()
            self.dropped += 1
        self._rows.append(row)
        if row.support:  # a support request, not a token: nothing to stamp
            return
        if len(self._stamps) < self._max_stamps or row.token_id in self._stamps:
            self._stamps[row.token_id] = row.at

    async def flush(self) -> str:
        """Write what is queued; rows that could not be written stay queued (bounded) for the next try."""
        async with self._flushing:
            return await self._flush()

    async def _flush(self) -> str:
        stamps, self._stamps = self._stamps, {}
        written = 0
        try:
            if stamps:
                await self._write_stamps(stamps)
            while self._rows:
                batch = [self._rows.popleft() for _ in range(min(BATCH, len(self._rows)))]
                try:
                    await self._write_audit(batch)
                except Unavailable:
                    self._requeue(batch)
                    raise
                written += len(batch)
        except Unavailable:
            for token_id, at in stamps.items():
                self._stamps.setdefault(token_id, at)
            return f"catalog unreachable: {written} audit rows written, {len(self._rows)} waiting"
        self.written += written
        return f"{written} audit rows and {len(stamps)} last-use stamps written"

    def _requeue(self, batch: list[AuditRow]) -> None:
        room = self._capacity - len(self._rows)
        keep = batch[len(batch) - room:] if room < len(batch) else batch
        self.dropped += len(batch) - len(keep)
        self._rows.extendleft(reversed(keep))
