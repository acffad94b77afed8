"""Forward-only numbered .sql migrations, applied under an advisory lock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

MIGRATION_LOCK = 7_312_024_001
# 0002 was never released; catalogs already record 0003, so the gap stays and no other may open.
RETIRED = frozenset({2})
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
  version     integer PRIMARY KEY,
  name        text NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now()
)
"""
APPLIED = "SELECT version FROM schema_migrations"
RECORD = "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available() -> list[Migration]:
    """The packaged migrations, in order; refuses a duplicated or skipped number."""
    folder = resources.files("control_plane.catalog") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text()))
    ordered = sorted(found, key=lambda m: m.version)
    check_numbering([m.version for m in ordered])
    return ordered


def check_numbering(versions: list[int]) -> None:
    """Versions are 1..n, each once: two files with one number would race for it on a fresh catalog."""
    expected = [v for v in range(1, max(versions, default=0) + 1) if v not in RETIRED]
    if versions != expected:
        raise RuntimeError(f"catalog migrations must be numbered {expected} once each, found {versions}")


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Apply every migration not yet applied; returns the names applied (none on a rerun)."""
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(CREATE_LEDGER)
        done = {row["version"] for row in await conn.fetch(APPLIED)}
        applied = []
        for migration in available():
            if migration.version in done:
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(RECORD, migration.version, migration.name)
            applied.append(migration.name)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
