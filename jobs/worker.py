"""The worker loop, run as `berth serve worker` or inside `berth dev`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from control_plane.settings import Settings


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[None]:
    """Run the worker in the background for the duration of the block."""
    yield None
