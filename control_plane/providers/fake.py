"""An in-memory provider for unit tests: records every call and fails on request."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from uuid import UUID

from control_plane.errors import ProviderError
from control_plane.providers.base import DatabaseInfo, DatabaseSpec, Ownership, ProvisionedDatabase


@dataclass
class FakeProvider:
    """Databases live in a dict. ``fail`` maps a method name to errors raised in turn.

    ``owners`` marks databases that are not ours (foreign or unlabelled); ``quarantined`` holds refs.
    """

    name: str = "fake"
    databases: dict[str, UUID | None] = field(default_factory=dict)
    owners: dict[str, Ownership] = field(default_factory=dict)
    quarantined: set[str] = field(default_factory=set)
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
        return self._info(ref)

    def _info(self, ref: str) -> DatabaseInfo:
        owner = self.owners.get(ref, Ownership.OURS)
        return DatabaseInfo(ref, self.databases[ref] if owner is Ownership.OURS else None, owner)

    async def delete_database(self, ref: str) -> None:
        self._step("delete_database", ref)
        if self.owners.get(ref) is Ownership.FOREIGN:
            raise ProviderError(f"database {ref} belongs to another installation", retryable=False)
        self.databases.pop(ref, None)
        self.quarantined.discard(ref)

    async def list_databases(self) -> list[DatabaseInfo]:
        self._step("list_databases", "")
        return [self._info(ref) for ref in self.databases]

    async def quarantine_database(self, ref: str) -> None:
        self._step("quarantine_database", ref)
        self._ours(ref)
        self.quarantined.add(ref)

    async def restore_database(self, ref: str) -> None:
        self._step("restore_database", ref)
        self._ours(ref)
        self.quarantined.discard(ref)

    async def adopt_database(self, ref: str, endpoint_id: UUID) -> bool:
        self._step("adopt_database", ref)
        if ref not in self.databases or self.owners.get(ref) is Ownership.FOREIGN:
            return False
        self.owners.pop(ref, None)
        self.databases[ref] = endpoint_id
        return True

    def _ours(self, ref: str) -> None:
        if ref not in self.databases or self.owners.get(ref, Ownership.OURS) is not Ownership.OURS:
            raise ProviderError(f"database {ref} is not this installation's", retryable=False)

    async def aclose(self) -> None:
        return None
