"""A provider wrapped so every call is timed and every failure counted, by provider and operation."""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import TypeVar
from uuid import UUID

from control_plane.errors import ProviderError
from control_plane.observability.metrics import Metrics
from control_plane.providers.base import DatabaseInfo, DatabaseSpec, Provider, ProvisionedDatabase

T = TypeVar("T")


class Measured:
    """Delegates to ``inner``; same contract, same errors."""

    def __init__(self, inner: Provider, metrics: Metrics) -> None:
        self.inner = inner
        self.name = inner.name
        self.metrics = metrics

    async def _timed(self, operation: str, call: Awaitable[T]) -> T:
        started = time.perf_counter()
        try:
            return await call
        except ProviderError as exc:
            self.metrics.provider_errors.labels(self.name, operation, str(exc.retryable).lower()).inc()
            raise
        finally:
            self.metrics.provider_latency.labels(self.name, operation).observe(time.perf_counter() - started)

    async def create_database(self, spec: DatabaseSpec) -> ProvisionedDatabase:
        return await self._timed("create", self.inner.create_database(spec))

    async def get_database(self, ref: str) -> DatabaseInfo | None:
        return await self._timed("get", self.inner.get_database(ref))

    async def delete_database(self, ref: str) -> None:
        await self._timed("delete", self.inner.delete_database(ref))

    async def list_databases(self) -> list[DatabaseInfo]:
        return await self._timed("list", self.inner.list_databases())

    async def quarantine_database(self, ref: str) -> None:
        await self._timed("quarantine", self.inner.quarantine_database(ref))

    async def restore_database(self, ref: str) -> None:
        await self._timed("restore", self.inner.restore_database(ref))

    async def adopt_database(self, ref: str, endpoint_id: UUID) -> bool:
        return await self._timed("adopt", self.inner.adopt_database(ref, endpoint_id))

    async def aclose(self) -> None:
        await self.inner.aclose()


def measured(provider: Provider, metrics: Metrics | None) -> Provider:
    return provider if metrics is None else Measured(provider, metrics)
