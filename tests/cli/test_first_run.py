"""`berth dev`'s first run: a demo endpoint with sample data and a token, printed once."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator

import asyncpg
import pytest

from cli.first_run import welcome
from control_plane.providers.local import LocalProvider
from control_plane.sealing import Sealed, Sealer
from control_plane.settings import Settings

JOINED = "SELECT count(*) FROM customers JOIN orders ON customer_id = customers.id"
REFS = "SELECT provider_ref FROM endpoints WHERE provider_ref IS NOT NULL"


async def _reader_count(settings: Settings) -> int:
    catalog = await asyncpg.connect(settings.database_url_value)
    row = await catalog.fetchrow("SELECT id, seal_key_id, sealed_reader_dsn FROM endpoints")
    await catalog.close()
    dsn = Sealer.from_setting(settings.seal_keys_value).open(
        Sealed(row["seal_key_id"], row["sealed_reader_dsn"]), f"{row['id']}:reader")
    conn = await asyncpg.connect(dsn)
    try:
        count: int = await conn.fetchval(JOINED)
        return count
    finally:
        await conn.close()


@pytest.fixture
def dev_settings(settings: Settings, server_url: str, installation: uuid.UUID) -> Iterator[Settings]:
    yield settings
    provider = LocalProvider([server_url], installation=installation)
    refs = asyncio.run(_refs(settings))
    for ref in refs:
        asyncio.run(provider.delete_database(ref))


async def _refs(settings: Settings) -> list[str]:
    conn = await asyncpg.connect(settings.database_url_value)
    try:
        return [r[0] for r in await conn.fetch(REFS)]
    finally:
        await conn.close()


async def _demo_import(settings: Settings) -> tuple[str, str, int]:
    """The demo came in through the import path: one SQL import, done, naming the four tables."""
    conn = await asyncpg.connect(settings.database_url_value)
    try:
        row = await conn.fetchrow("SELECT format, state, jsonb_array_length(tables) AS n FROM imports")
        return row["format"], row["state"], row["n"]
    finally:
        await conn.close()


def test_first_run_makes_a_demo_and_later_runs_never_repeat_the_token(dev_settings: Settings) -> None:
    first = "\n".join(asyncio.run(welcome(dev_settings)))
    token = re.search(r"smcp_[0-9A-Za-z]{49}", first)
    assert token is not None
    assert f'--header "Authorization: Bearer {token.group()}"' in first
    assert "codex mcp add berth-shop --url" in first and "mcp-remote" in first
    assert asyncio.run(_reader_count(dev_settings)) == 300
    assert asyncio.run(_demo_import(dev_settings)) == ("sql", "done", 4)

    later = "\n".join(asyncio.run(welcome(dev_settings)))
    assert "smcp_" not in later and "bth_" not in later
    assert re.search(r"shop: http://127.0.0.1:8080/e/shop-[a-z0-9]+/mcp", later)
