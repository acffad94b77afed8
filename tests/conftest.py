"""Real Postgres and Redis for every test: the configured ones, or embedded servers started here.

A template catalog is migrated once per run; each test gets its own copy
(``CREATE DATABASE ... TEMPLATE``) and a flushed Redis database.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr

from cli.embedded import embedded_postgres, embedded_redis
from control_plane.catalog.installation import installation_id
from control_plane.catalog.migrate import migrate
from control_plane.dsn import for_database
from control_plane.settings import Settings


# The embedded servers live outside pytest's numbered temp folders: a concurrent pytest run on the
# same machine prunes old ones, which would pull the data directory from under a running server.
@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """Admin DSN of the Postgres server the suite uses."""
    configured = os.environ.get("BERTH_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    with tempfile.TemporaryDirectory(prefix="berth-pg-") as folder, embedded_postgres(Path(folder)) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    configured = os.environ.get("BERTH_TEST_REDIS_URL")
    if configured:
        yield configured
        return
    with tempfile.TemporaryDirectory(prefix="berth-redis-") as folder, embedded_redis(Path(folder)) as url:
        yield url


def _admin_url(server_url: str, database: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, ""))


async def _admin(server_url: str, sql: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def template_db(server_url: str) -> Iterator[str]:
    """A catalog database migrated once per run, copied for each test."""
    name = f"berth_tpl_{uuid.uuid4().hex[:12]}"

    async def build() -> None:
        await _admin(server_url, f'CREATE DATABASE "{name}"')
        conn = await asyncpg.connect(_admin_url(server_url, name))
        try:
            await migrate(conn)
        finally:
            await conn.close()

    asyncio.run(build())
    yield name
    asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def catalog_url(server_url: str, template_db: str) -> AsyncIterator[str]:
    """DSN of this test's own migrated catalog."""
    name = f"berth_t_{uuid.uuid4().hex[:12]}"
    await _admin(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    # Copies of one template would share an installation id; each test is an installation of its own.
    await _admin(_admin_url(server_url, name), "UPDATE installation SET id = gen_random_uuid()")
    yield _admin_url(server_url, name)
    await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def catalog(catalog_url: str) -> AsyncIterator[asyncpg.Connection]:
    """An owner connection to this test's catalog."""
    conn = await asyncpg.connect(catalog_url)
    yield conn
    await conn.close()


@pytest.fixture
async def installation(catalog: asyncpg.Connection) -> uuid.UUID:
    """This test's installation id: what its processes label the databases they create with."""
    return await installation_id(catalog)


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


@pytest.fixture
def settings(catalog_url: str, redis_url: str, server_url: str, tmp_path: Path) -> Settings:
    """Settings for one test: its own catalog, the suite's Redis, real secrets."""
    return Settings(
        dev=False,
        data_dir=tmp_path / "berth",
        database_url=SecretStr(catalog_url),
        redis_url=SecretStr(redis_url),
        token_pepper=SecretStr(secrets.token_urlsafe(32)),
        jwt_secret=SecretStr(secrets.token_urlsafe(32)),
        seal_keys=SecretStr("k1:" + base64.b64encode(secrets.token_bytes(32)).decode()),
        local_servers=SecretStr(server_url),
    )


def berth_environment(settings: Settings) -> dict[str, str]:
    """The BERTH_* variables of a process with every role's secrets: ``settings``' services and keys."""
    return {
        "BERTH_DATABASE_URL": settings.database_url_value,
        "BERTH_REDIS_URL": settings.redis_url_value,
        "BERTH_LOCAL_SERVERS": settings.local_servers.get_secret_value(),
        "BERTH_TOKEN_PEPPER": settings.token_pepper_value.decode(),
        "BERTH_JWT_SECRET": settings.jwt_secret_value,
        "BERTH_SEAL_KEYS": settings.seal_keys_value,
    }


def database_url_for(server_url: str, *, user: str, password: str, database: str) -> str:
    """A DSN on the suite's server for another user and database."""
    return for_database(server_url, user=user, password=password, database=database)
