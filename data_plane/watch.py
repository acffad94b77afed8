"""What a ``subscriptions/listen`` stream waits on: the endpoint's schema fingerprint moving."""

from __future__ import annotations

import asyncio

from control_plane.errors import Unavailable
from data_plane.auth import Grant
from data_plane.calls import Calls

EVERY = 0.5  # the catalog cache's own recheck interval: no more fingerprint reads than tools/list makes


async def schema_changed(calls: Calls, grant: Grant, every: float = EVERY) -> None:
    """Return once the schema the grant sees differs from when this was called (its tools may differ)."""
    first = await _fingerprint(calls, grant)
    while True:
        await asyncio.sleep(every)
        now = await _fingerprint(calls, grant)
        if now is not None and now != first:
            return


async def _fingerprint(calls: Calls, grant: Grant) -> str | None:
    try:
        return (await calls.catalog(grant)).fingerprint
    except Unavailable:
        return None  # unreachable for now: say nothing until it is back
