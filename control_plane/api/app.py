"""The control plane's ASGI app and the resources it opens for its lifetime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp

from control_plane.api import errors
from control_plane.settings import Settings


def create_app() -> FastAPI:
    app = FastAPI(title="Berth control plane", version="0.1.0")
    errors.install(app)
    return app


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[ASGIApp]:
    """Open the control plane's resources and yield its app; close them on exit."""
    yield create_app()
