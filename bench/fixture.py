"""What the benchmark runs against: Postgres and Redis (configured or embedded), a catalog, endpoints, tokens.

Endpoints are made the way Berth makes them: a catalog row, then the worker's
``provision_endpoint`` on the local provider (a real database and roles each),
then a token row holding only the HMAC of the token.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

import asyncpg
import redis.asyncio as aioredis
from pydantic import SecretStr

from cli.embedded import embedded_postgres, embedded_redis
from control_plane.catalog.db import create_pool
from control_plane.catalog.installation import installation_id
from control_plane.catalog.migrate import migrate
from control_plane.providers.local import LocalProvider
from control_plane.sealing import Sealed, Sealer
from control_plane.settings import Settings
from control_plane.tokens import API_KEY_PREFIX, ENDPOINT_PREFIX, digest, display_prefix, generate
from jobs.steps.lifecycle import provision_endpoint

SQL = "SELECT id, name, price FROM items WHERE id = 42"
ITEMS = """
CREATE TABLE IF NOT EXISTS items (id integer PRIMARY KEY, name text NOT NULL, price numeric(10, 2) NOT NULL);
INSERT INTO items SELECT g, 'item ' || g, g * 1.25 FROM generate_series(1, 1000) g ON CONFLICT DO NOTHING;
"""
TENANT = "INSERT INTO tenants (id, name) VALUES ($1, 'bench')"
ENDPOINT = """
INSERT INTO endpoints (id, tenant_id, slug, name, plan, provider) VALUES ($1, $2, $3, $3, 'scale', 'local')
"""
ENDPOINT_COLUMNS = ["id", "tenant_id", "slug", "name", "plan", "status", "provider", "provider_ref",
                    "seal_key_id", "sealed_owner_dsn", "sealed_reader_dsn"]
TOKEN_COLUMNS = ["id", "tenant_id", "endpoint_id", "name", "token_hash", "prefix", "scopes"]
API_KEY = "INSERT INTO api_keys (id, tenant_id, name, key_hash, prefix) VALUES ($1, $2, 'bench', $3, $4)"
SEALED = "SELECT seal_key_id, sealed_owner_dsn, sealed_reader_dsn, provider_ref FROM endpoints WHERE id = $1"


@dataclass(frozen=True)
class Target:
    """One endpoint as a client sees it: its URL path and bearer token."""

    endpoint_id: UUID
    slug: str
    token: str

    @property
    def path(self) -> str:
        return f"/e/{self.slug}/mcp"


@contextlib.contextmanager
def services(scratch: Path) -> Iterator[tuple[str, str]]:
    """(admin DSN, Redis URL): BERTH_BENCH_* when set, else embedded servers under ``scratch``."""
    with contextlib.ExitStack() as stack:
        pg = os.environ.get("BERTH_BENCH_DATABASE_URL") or stack.enter_context(
            embedded_postgres(scratch / "pg"))
        redis = os.environ.get("BERTH_BENCH_REDIS_URL") or stack.enter_context(
            embedded_redis(scratch / "redis"))
        yield pg, redis


def bench_settings(catalog_url: str, redis_url: str, server_url: str, scratch: Path) -> Settings:
    return Settings(
        dev=False, data_dir=scratch / "berth",
        database_url=SecretStr(catalog_url), redis_url=SecretStr(redis_url),
        token_pepper=SecretStr(secrets.token_urlsafe(32)), jwt_secret=SecretStr(secrets.token_urlsafe(32)),
        seal_keys=SecretStr("k1:" + base64.b64encode(secrets.token_bytes(32)).decode()),
        local_servers=SecretStr(server_url),
    )


def with_database(server_url: str, database: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, ""))


async def create_catalog(server_url: str) -> str:
    """A fresh migrated catalog database on the server; its owner DSN."""
    name = f"berth_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = with_database(server_url, name)
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return url


async def drop_database(server_url: str, url: str) -> None:
    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@dataclass
class Fleet:
    """The catalog side of the benchmark: one tenant and the endpoints made for it."""

    settings: Settings
    catalog: asyncpg.Pool
    worker: asyncpg.Pool
    redis: aioredis.Redis
    provider: LocalProvider
    tenant_id: UUID = field(default_factory=uuid.uuid4)
    refs: set[str] = field(default_factory=set)
    token_ids: dict[str, UUID] = field(default_factory=dict)  # what the API revokes a token by

    @property
    def sealer(self) -> Sealer:
        return Sealer.from_setting(self.settings.seal_keys_value)

    @property
    def pepper(self) -> bytes:
        return self.settings.token_pepper_value

    @classmethod
    async def open(cls, settings: Settings, connection_limit: int) -> Fleet:
        url = settings.database_url_value
        catalog = await asyncpg.create_pool(url, min_size=1, max_size=2)
        worker = await create_pool(url, "berth_worker", min_size=1, max_size=2)
        servers = [settings.local_servers.get_secret_value()]
        fleet = cls(settings, catalog, worker, aioredis.from_url(settings.redis_url_value),
                    LocalProvider(servers, installation=await installation_id(worker),
                                  connection_limit=connection_limit))
        await catalog.execute(TENANT, fleet.tenant_id)
        return fleet

    async def close(self) -> None:
        for ref in sorted(self.refs):
            await self.provider.delete_database(ref)
        await self.catalog.close()
        await self.worker.close()
        await self.redis.aclose()

    async def provision(self, label: str) -> tuple[Target, float]:
        """One endpoint made as the worker makes it, its sample table loaded, a token issued."""
        endpoint_id = uuid.uuid4()
        slug = f"{label}-{endpoint_id.hex[:10]}"
        await self.catalog.execute(ENDPOINT, endpoint_id, self.tenant_id, slug)
        started = time.perf_counter()
        await provision_endpoint(self.worker, self.provider, self.sealer, self.redis, endpoint_id)
        elapsed = time.perf_counter() - started
        owner, _, ref = await self.dsns(endpoint_id)
        self.refs.add(ref)
        conn = await asyncpg.connect(owner)
        try:
            await conn.execute(ITEMS)
        finally:
            await conn.close()
        return Target(endpoint_id, slug, (await self.issue([endpoint_id]))[0]), elapsed

    async def dsns(self, endpoint_id: UUID) -> tuple[str, str, str]:
        """(owner DSN, reader DSN, provider ref) of a ready endpoint, opened from the catalog."""
        row = await self.catalog.fetchrow(SEALED, endpoint_id)
        sealer = self.sealer
        owner = sealer.open(Sealed(row["seal_key_id"], row["sealed_owner_dsn"]), f"{endpoint_id}:owner")
        reader = sealer.open(Sealed(row["seal_key_id"], row["sealed_reader_dsn"]), f"{endpoint_id}:reader")
        return owner, reader, row["provider_ref"]

    async def issue(self, endpoint_ids: list[UUID]) -> list[str]:
        """One read-scope token per endpoint; the catalog keeps only its HMAC."""
        tokens = [generate(ENDPOINT_PREFIX) for _ in endpoint_ids]
        pepper = self.pepper
        records = [(uuid.uuid4(), self.tenant_id, e, "bench", digest(t, pepper), display_prefix(t), ["mcp"])
                   for e, t in zip(endpoint_ids, tokens, strict=True)]
        self.token_ids.update((t, r[0]) for t, r in zip(tokens, records, strict=True))
        async with self.catalog.acquire() as conn:
            await conn.copy_records_to_table("endpoint_tokens", records=records, columns=TOKEN_COLUMNS)
        return tokens

    async def api_key(self) -> str:
        """A control-plane API key for the tenant, as the operator's ``berth tenants keys create`` makes it
        (no user: it acts as the owner)."""
        key = generate(API_KEY_PREFIX)
        await self.catalog.execute(API_KEY, uuid.uuid4(), self.tenant_id, digest(key, self.pepper),
                                   display_prefix(key))
        return key

    async def spread(self, count: int, over: list[Target]) -> list[Target]:
        """``count`` ready endpoints whose sealed DSNs point at the databases of ``over``, round robin.

        Each has its own id, slug, token and sealing (associated data = its own id), so the
        gateway resolves, unseals and pools each one separately, exactly as for a real endpoint.
        """
        sources = [await self.dsns(t.endpoint_id) for t in over]
        sealer, ids = self.sealer, [uuid.uuid4() for _ in range(count)]
        records = []
        for index, endpoint_id in enumerate(ids):
            owner, reader, ref = sources[index % len(sources)]
            o = sealer.seal(owner, f"{endpoint_id}:owner")
            r = sealer.seal(reader, f"{endpoint_id}:reader")
            slug = f"s-{endpoint_id.hex[:16]}"
            records.append((endpoint_id, self.tenant_id, slug, slug, "scale", "ready", "local", ref,
                            o.key_id, o.blob, r.blob))
        async with self.catalog.acquire() as conn:
            await conn.copy_records_to_table("endpoints", records=records, columns=ENDPOINT_COLUMNS)
        tokens = await self.issue(ids)
        return [Target(e, rec[2], t) for e, rec, t in zip(ids, records, tokens, strict=True)]


@contextlib.asynccontextmanager
async def hot_fleet(server_url: str, redis_url: str, scratch: Path,
                    count: int = 4) -> AsyncIterator[tuple[Fleet, list[Target]]]:
    """A fresh catalog and fleet with ``count`` provisioned endpoints; dropped afterwards."""
    catalog_url = await create_catalog(server_url)
    settings = bench_settings(catalog_url, redis_url, server_url, scratch)
    fleet = await Fleet.open(settings, connection_limit=100)
    try:
        yield fleet, [(await fleet.provision("hot"))[0] for _ in range(count)]
    finally:
        await fleet.close()
        await drop_database(server_url, catalog_url)
