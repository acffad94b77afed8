"""``BERTH_MAX_IMPORT_BYTES``: an installation lowers every plan's file limit, for the API's uploads and
the gateway's ``import_file`` alike; a file over it is 413 naming it, and leaves no file and no import."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from control_plane.imports.spool import spool_dir
from control_plane.settings import Settings
from tests.imports.conftest import Berth
from tests.imports.test_mcp_tools import _agents, _gateway

LIMIT = 1024
SMALL = b"n\n" + b"".join(b"%d\n" % i for i in range(100))  # under LIMIT
LARGE = b"n\n" + b"".join(b"%d\n" % i for i in range(1000))  # over it
IMPORTS = "SELECT count(*) FROM imports"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"max_import_bytes": LIMIT})


def spool_files(settings: Settings) -> list[Path]:
    directory = spool_dir(settings.data_dir)
    return sorted(directory.iterdir()) if directory.exists() else []


def encoded(body: bytes) -> str:
    return base64.b64encode(body).decode()


async def chunked(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 256):
        yield body[start:start + 256]


async def test_an_upload_over_the_installations_limit_is_413_naming_it(
    berth: Berth, settings: Settings, catalog: asyncpg.Connection,
) -> None:
    assert LIMIT < len(LARGE) < 100 * 1024 * 1024  # well within the free plan's own limit
    over = await berth.client.post(berth.imports_url, content=chunked(LARGE), params={"format": "csv"},
                                   headers=berth.headers)  # no Content-Length: refused while it streams
    assert over.status_code == 413, over.text
    assert over.json()["error"]["code"] == "import_too_large"
    said = over.json()["error"]["message"]
    assert said == f"the file exceeds the free plan's import limit of {LIMIT} bytes"
    assert await catalog.fetchval(IMPORTS) == 0 and spool_files(settings) == []
    done = await berth.upload(SMALL, table="numbers", format="csv")
    assert done["state"] == "done" and done["rows_done"] == 100, done


async def test_import_file_over_the_installations_limit_is_refused(
    berth: Berth, settings: Settings, catalog: asyncpg.Connection,
) -> None:
    async with await _gateway(settings, True) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            writer, _ = await _agents(berth, http)
            refused = await writer.call("import_file", data=encoded(LARGE), filename="n.csv")
            queued = await writer.call("import_file", data=encoded(SMALL), filename="n.csv")
    assert refused["isError"], refused
    assert refused["structuredContent"]["error"]["code"] == "import_too_large"
    assert str(LIMIT) in refused["structuredContent"]["error"]["message"]
    assert not queued["isError"], queued
    assert await catalog.fetchval(IMPORTS) == 1
