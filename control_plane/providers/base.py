"""The provider contract: one small interface, every method idempotent.

Each implementation turns its client library's errors (asyncpg, httpx) into
``ProviderError`` at one point, with ``retryable`` telling the worker whether
another try may succeed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from uuid import UUID

# Names visible cluster-wide are opaque: db_<24 base36> and r_<same>[_ro].
BERTH_NAME = re.compile(r"^db_[a-z0-9]{24}$")


@dataclass(frozen=True)
class DatabaseSpec:
    """What the catalog asks for: the endpoint it serves and where."""

    endpoint_id: UUID
    region: str | None = None


@dataclass(frozen=True)
class ProvisionedDatabase:
    """A database ready to serve: its provider reference and two connection strings.

    ``owner_dsn`` can write (the ``execute`` tool); ``reader_dsn`` is a role
    with SELECT only. Both are secrets: seal them, never log them.
    """

    ref: str
    owner_dsn: str
    reader_dsn: str


class Ownership(StrEnum):
    """Whose a database is, by the label its creator left where tenants cannot write."""

    OURS = "ours"  # labelled by this installation: reconcile and teardown may act on it
    FOREIGN = "foreign"  # labelled by another installation sharing the server: never touched
    UNLABELLED = "unlabelled"  # Berth's naming but no label: reported, never touched


@dataclass(frozen=True)
class DatabaseInfo:
    """A database as the provider sees it (for ``get`` and the reconciler).

    ``endpoint_id`` comes from this installation's label, so it is None unless
    the database is ``OURS``.
    """

    ref: str
    endpoint_id: UUID | None
    owner: Ownership = Ownership.OURS


class Provider(Protocol):
    name: str

    async def create_database(self, spec: DatabaseSpec) -> ProvisionedDatabase:
        """Create the endpoint's database, or return the one a previous try made.

        Idempotent per ``spec.endpoint_id``: a retried create never makes a second
        database. Raises ``ProviderError``.
        """
        ...

    async def get_database(self, ref: str) -> DatabaseInfo | None:
        """The database behind ``ref``, or None when it does not exist."""
        ...

    async def delete_database(self, ref: str) -> None:
        """Remove the database and its roles; already gone is success."""
        ...

    async def list_databases(self) -> list[DatabaseInfo]:
        """Every database with Berth's naming that this provider holds, each with its ``Ownership``."""
        ...

    async def quarantine_database(self, ref: str) -> None:
        """Make one of our databases unreachable (connections refused, sessions ended), data kept.

        Idempotent. Raises ``ProviderError``, non-retryable when ``ref`` is not ours.
        """
        ...

    async def restore_database(self, ref: str) -> None:
        """Undo ``quarantine_database``: its roles may connect again. Idempotent."""
        ...

    async def adopt_database(self, ref: str, endpoint_id: UUID) -> bool:
        """Label an unlabelled database the catalog knows as ``endpoint_id``'s; False if not ours to take."""
        ...

    async def aclose(self) -> None:
        """Release clients and pools."""
        ...
