"""A throwaway endpoint database (owner and read-only roles, by the local provider) for the tool tests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from control_plane.providers.base import DatabaseSpec, ProvisionedDatabase
from control_plane.providers.local import LocalProvider
from data_plane.tools import QueryLimits

ITEMS = """
DROP TABLE IF EXISTS items;
CREATE TABLE items (
    id integer PRIMARY KEY,
    name text NOT NULL UNIQUE,
    price numeric(10, 2),
    added timestamptz NOT NULL DEFAULT '2026-01-02T03:04:05Z',
    tags text[] NOT NULL DEFAULT '{}',
    blob bytea
);
COMMENT ON TABLE items IS 'things for sale';
INSERT INTO items (id, name, price, tags, blob) VALUES
    (1, 'apple', 1.25, '{fruit}', '\\x0102'),
    (2, 'pear', 2.50, '{fruit,green}', NULL),
    (3, 'nut', NULL, '{}', NULL);
"""

LIMITS = QueryLimits(statement_timeout_ms=2000)


@pytest.fixture(scope="session")
def endpoint_db(server_url: str) -> Iterator[ProvisionedDatabase]:
    """One endpoint database for the whole run; each test resets its table."""
    provider = LocalProvider([server_url], installation=uuid.uuid4(), connection_limit=10)
    made = asyncio.run(provider.create_database(DatabaseSpec(uuid.uuid4())))
    yield made
    asyncio.run(provider.delete_database(made.ref))


@pytest.fixture
async def owner(endpoint_db: ProvisionedDatabase) -> AsyncIterator[asyncpg.Connection]:
    """The owner role's connection (what a write token gets), with a fresh ``items`` table."""
    conn = await asyncpg.connect(endpoint_db.owner_dsn)
    await conn.execute(ITEMS)
    yield conn
    await conn.close()


@pytest.fixture
async def reader(
    endpoint_db: ProvisionedDatabase, owner: asyncpg.Connection
) -> AsyncIterator[asyncpg.Connection]:
    """The read-only role's connection (what a read token gets)."""
    conn = await asyncpg.connect(endpoint_db.reader_dsn)
    yield conn
    await conn.close()


async def item_rows(owner: asyncpg.Connection) -> list[tuple[object, ...]]:
    return [tuple(r) for r in await owner.fetch("SELECT id, name, price FROM items ORDER BY id")]
