"""The endpoint's documents rendered once per schema version: llms.txt, manifest.json and table resources.

A document is built from the generated catalog the gateway already holds per
(endpoint, read or write), so serving one costs a dict lookup and, at most
every half second per endpoint and replica, the fingerprint check that
``tools/list`` shares: no query of its own on the endpoint's database, however
often it is fetched. That is why the documents and resources are neither
counted nor rate-limited (see docs/ARCHITECTURE.md, "Documents and resources").
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson

from data_plane import docs
from data_plane.auth import Grant
from data_plane.calls import Calls
from data_plane.tools.generated.catalog import Catalog
from data_plane.tools.generated.model import Table

Key = tuple[UUID, bool]


@dataclass(frozen=True, slots=True)
class Rendered:
    """One endpoint's documents for one catalog (and so one schema version)."""

    catalog: Catalog
    slug: str
    manifest: dict[str, Any]
    manifest_json: bytes
    llms_txt: bytes

    def table(self, schema: str, name: str) -> dict[str, Any] | None:
        return next((t for t in self.manifest["tables"] if (t["schema"], t["name"]) == (schema, name)), None)

    @property
    def tables(self) -> list[Table]:
        return sorted(self.catalog.schema.tables, key=lambda t: (t.schema, t.name))


class Documents:
    def __init__(self, calls: Calls, base_url: str, *, max_entries: int = 1000) -> None:
        self._calls = calls
        self._base_url = base_url
        self._max = max_entries
        self._entries: OrderedDict[Key, Rendered] = OrderedDict()
        self.renders = 0

    async def get(self, grant: Grant) -> Rendered:
        """The documents as ``grant`` sees them; Unavailable when the endpoint's schema cannot be read."""
        catalog = await self._calls.catalog(grant)
        key = (grant.endpoint_id, grant.can_write)
        found = self._entries.get(key)
        if found is not None and found.catalog is catalog and found.slug == grant.slug:
            return found
        rendered = self._render(grant.slug, catalog)
        self._entries[key] = rendered
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return rendered

    def _render(self, slug: str, catalog: Catalog) -> Rendered:
        self.renders += 1
        doc = docs.manifest(slug, f"{self._base_url}/e/{slug}/mcp", catalog)
        return Rendered(catalog, slug, doc, orjson.dumps(doc), docs.llms_txt(doc).encode())
