"""Import limits per plan, beside ``control_plane.plans``: file size, rows per import, tables per endpoint.

The file size is held while the upload streams (413 ``import_too_large``).
Rows and tables are held by the worker inside the load's transaction, before
it commits: over either, the import fails (``too_many_rows``,
``too_many_tables``, both naming the limit) and the endpoint is left as it was.
Tables are every table of the endpoint's database the owner can see once the
import would be done, whatever made them.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import asyncpg

from control_plane.errors import TooManyRows, TooManyTables

MIB = 1024 * 1024
MAX_IMPORT_BYTES = MappingProxyType({"free": 100 * MIB, "pro": 2048 * MIB, "scale": 10240 * MIB})
MAX_IMPORT_ROWS = MappingProxyType({"free": 1_000_000, "pro": 50_000_000, "scale": 500_000_000})
MAX_TABLES = MappingProxyType({"free": 20, "pro": 200, "scale": 1000})
TABLES = """
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
"""


def max_import_bytes(plan: str, cap: int | None = None) -> int:
    """The largest file an import into an endpoint of ``plan`` may be; ``cap`` (an installation's
    ``BERTH_MAX_IMPORT_BYTES``) lowers it."""
    limit = MAX_IMPORT_BYTES.get(plan, MAX_IMPORT_BYTES["free"])
    return limit if cap is None else min(limit, cap)


@dataclass(frozen=True)
class PlanLimits:
    """What one import into an endpoint of ``plan`` may do."""

    plan: str
    rows: int
    tables: int

    @classmethod
    def of(cls, plan: str) -> PlanLimits:
        known = plan if plan in MAX_IMPORT_ROWS else "free"
        return cls(known, MAX_IMPORT_ROWS[known], MAX_TABLES[known])

    def check_rows(self, rows: int) -> None:
        """Over the plan's rows per import: ``BadImport`` ``too_many_rows``."""
        if rows > self.rows:
            raise TooManyRows(f"the file holds {rows:,} rows, over the {self.plan} plan's limit of "
                              f"{self.rows:,} rows per import")

    async def check(self, conn: asyncpg.Connection, rows: int) -> None:
        """In the load's transaction, before it commits: the rows loaded and the tables there now."""
        self.check_rows(rows)
        tables = int(await conn.fetchval(TABLES))
        if tables > self.tables:
            raise TooManyTables(f"the endpoint would hold {tables} tables, over the {self.plan} plan's "
                                f"limit of {self.tables} tables per endpoint")
