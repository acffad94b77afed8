"""Provider test fixtures: a mocked Neon API, instant time, a real owner database on the suite's server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import asyncpg
import httpx
import pytest
import respx

from control_plane.dsn import for_database
from control_plane.providers.neon import NeonProvider

BASE = "https://neon.test/api/v2"
API_KEY = "neon-key-ABCDEF0123456789"


@dataclass
class FakeTime:
    """A wall clock that only moves when something sleeps; every sleep is recorded."""

    now: float = 1_700_000_000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class RecordingReader:
    """Stands in for the SQL step in HTTP-only tests; records what it was asked."""

    calls: list[tuple[str, str, str]] = field(default_factory=list)

    async def __call__(self, owner_dsn: str, role: str, password: str) -> None:
        self.calls.append((owner_dsn, role, password))


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def reader() -> RecordingReader:
    return RecordingReader()


@pytest.fixture
def neon() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def provider(http: httpx.AsyncClient, fake_time: FakeTime, reader: RecordingReader) -> NeonProvider:
    return NeonProvider(http, api_key=API_KEY, region="aws-us-east-2", base_url=BASE, sleep=fake_time.sleep,
                        clock=fake_time.clock, reader_setup=reader, operation_timeout=30.0)


async def _admin(server_url: str, *statements: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@dataclass(frozen=True)
class OwnerDatabase:
    """A database and its owner's DSN; roles named with ``suffix`` are dropped afterwards."""

    dsn: str
    suffix: str

    def role(self, prefix: str) -> str:
        return f"{prefix}_{self.suffix}"


@pytest.fixture
async def owner_db(server_url: str) -> AsyncIterator[OwnerDatabase]:
    """A database owned by a CREATEROLE login, as Neon's project owner is; gone afterwards."""
    suffix = uuid.uuid4().hex[:12]
    database, owner = f"neon_db_{suffix}", f"neon_owner_{suffix}"
    await _admin(server_url, f'CREATE ROLE "{owner}" LOGIN CREATEROLE PASSWORD \'owner-pw-{suffix}\'',
                 f'CREATE DATABASE "{database}" OWNER "{owner}"')
    dsn = for_database(server_url, user=owner, password=f"owner-pw-{suffix}", database=database)
    yield OwnerDatabase(dsn, suffix)
    await _admin(server_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    conn = await asyncpg.connect(server_url)
    try:
        # The readers a test made were created by the owner; drop them before it.
        readers = await conn.fetch("SELECT rolname FROM pg_roles WHERE rolname LIKE $1 AND rolname <> $2",
                                   f"%{suffix}", owner)
        for row in readers:
            await conn.execute(f'DROP ROLE IF EXISTS "{row[0]}"')
        await conn.execute(f'DROP ROLE IF EXISTS "{owner}"')
    finally:
        await conn.close()
