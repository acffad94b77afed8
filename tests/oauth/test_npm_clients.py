"""Real npm clients with no header configured: mcp-remote and the MCP Inspector CLI discover Berth's
OAuth server, register, and open Berth's own sign-in page instead of failing on registration.

Both are installed by ``make test`` into ``.venv/npm`` (pinned versions); their "browser" is a script
that writes down the URL it was asked to open.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path

import httpx

from tests.oauth import live
from tests.oauth.test_sdk_browser import Live, running

__all__ = ["running"]  # the fixture, shared with the SDK's end-to-end tests

BIN = Path(sys.executable).parent.parent / "npm" / "node_modules" / ".bin"
OPENED_WITHIN = 45.0


async def opened_url(command: list[str], tmp_path: Path) -> str:
    """Run ``command`` until it asks a browser to open a page; that page's URL."""
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    browser.chmod(0o700)
    env = {**os.environ, "BROWSER": str(browser), "MCP_AUTO_OPEN_ENABLED": "true",
           "HOME": str(tmp_path / "home"), "MCP_INSPECTOR_SECRET_STORE": "memory"}
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        for _ in range(int(OPENED_WITHIN * 10)):
            if opened.exists():
                return opened.read_text().split()[0]
            await asyncio.sleep(0.1)
        process.kill()
        said = (await process.communicate())[0].decode(errors="replace")
        raise AssertionError(f"{command[0]} opened no page:\n{said[-3000:]}")
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


async def landing(url: str) -> httpx.Response:
    """Where a browser ends up when it opens ``url`` with no session."""
    async with httpx.AsyncClient(follow_redirects=True) as http:
        return await http.get(url)


def is_sign_in(page: httpx.Response) -> bool:
    return page.status_code == 200 and page.url.path == "/login" and 'type="password"' in page.text


async def test_mcp_remote_reaches_the_sign_in_page(running: Live, tmp_path: Path) -> None:
    url = await opened_url([str(BIN / "mcp-remote"), running.mcp_url, str(live.free_port())], tmp_path)
    assert url.startswith(f"{running.base}/oauth/authorize?"), url
    assert is_sign_in(await landing(url))


async def test_the_inspector_cli_reaches_the_sign_in_page(running: Live, tmp_path: Path) -> None:
    command = [str(BIN / "mcp-inspector"), "--cli", running.mcp_url, "--transport", "http",
               "--method", "tools/list"]
    url = await opened_url(command, tmp_path)
    assert url.startswith(f"{running.base}/oauth/authorize?"), url
    assert is_sign_in(await landing(url))
