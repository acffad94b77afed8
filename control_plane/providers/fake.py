"""An in-memory provider for unit tests: records every call and fails on request."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from uuid import UUID

from control_plane.errors import ProviderError
from control_plane.providers.base import DatabaseInfo, DatabaseSpec, ProvisionedDatabase


@dataclass
class FakeProvider:
    """Databases live in a dict. ``fail`` maps a method name to errors raised in turn."""

    name: str = "fake"
    databases: dict[str, UUID | None] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    fail: dict[str, list[ProviderError]] = field(default_factory=dict)

    def _step(self, method: str, arg: str) -> None:
        self.calls.append((method, arg))
        pending = self.fail.get(method)
        if pending:
            raise pending.pop(0)

    async def create_database(self, spec: DatabaseSpec) -> ProvisionedDatabase:
        self._step("create_database", str(spec.endpoint_id))
        ref = next((r for r, e in self.databases.items() if e == spec.endpoint_id), None)
        if ref is None:
            ref = "db_" + secrets.token_hex(12)
            self.databases[ref] = spec.endpoint_id
        return ProvisionedDatabase(ref, f"postgresql://owner@fake/{ref}",
                                   f"postgresql://reader@fake/{ref}")

    async def get_database(self, ref: str) -> DatabaseInfo | None:
        self._step("get_database", ref)
        if ref not in self.databases:
            return None
        return DatabaseInfo(ref, self.databases[ref])

    async def delete_database(self, ref: str) -> None:
        self._step("delete_database", ref)
        self.databases.pop(ref, None)

    async def list_databases(self) -> list[DatabaseInfo]:
        self._step("list_databases", "")
        return [DatabaseInfo(ref, ep) for ref, ep in self.databases.items()]

    async def aclose(self) -> None:
        return None
