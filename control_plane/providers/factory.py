"""Build the provider a process's settings name: the local fleet or Neon."""

from __future__ import annotations

from uuid import UUID

import httpx

from control_plane.providers import neon
from control_plane.providers.base import Provider
from control_plane.providers.local import LocalProvider
from control_plane.settings import Settings


def local_servers(settings: Settings) -> list[str]:
    """``BERTH_LOCAL_SERVERS`` (comma-separated admin DSNs), else the catalog's own server."""
    configured = settings.local_servers or settings.database_url
    if configured is None:
        raise ValueError("BERTH_LOCAL_SERVERS or BERTH_DATABASE_URL must be set for the local provider")
    return [s.strip() for s in configured.get_secret_value().split(",") if s.strip()]


def build_provider(settings: Settings, *, installation: UUID,
                   http: httpx.AsyncClient | None = None) -> Provider:
    """The provider for this installation (its id labels what the provider creates)."""
    if settings.provider == "local":
        return LocalProvider(local_servers(settings), installation=installation,
                             connection_limit=settings.local_connection_limit,
                             revoke_public_connect=settings.local_revoke_public_connect)
    if settings.provider == "neon":
        return neon.from_settings(settings, http=http)
    raise ValueError(f"provider {settings.provider!r} is not available in this build")
