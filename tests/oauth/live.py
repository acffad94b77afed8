"""Real servers on loopback for end-to-end tests: Berth, an HTTPS client-metadata host, a redirect catcher.

Everything listens on 127.0.0.1; the HTTPS host's certificate comes from a
test CA (trustme) that only Berth's document fetcher trusts. Chromium is the
Debian package's, driven by its chromedriver through Selenium.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme
import uvicorn
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def serve(app: ASGIApp, port: int, **ssl_files: str) -> AsyncIterator[None]:
    """``app`` on 127.0.0.1:``port`` under uvicorn (lifespan included) until exit."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="auto",
                            **ssl_files)  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield None
    finally:
        server.should_exit = True
        await task


@dataclass
class Redirects:
    """The client's redirect URI: every query it receives lands in ``received``."""

    received: asyncio.Queue[dict[str, str]] = field(default_factory=asyncio.Queue)

    async def endpoint(self, request: Request) -> Response:
        await self.received.put(dict(request.query_params))
        return PlainTextResponse("You can close this window.")

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/callback", self.endpoint)])


def document_host(documents: dict[str, dict[str, Any]]) -> Starlette:
    async def document(request: Request) -> Response:
        return JSONResponse(documents[request.url.path])

    return Starlette(routes=[Route(path, document) for path in documents])


@contextlib.contextmanager
def tls_files(tmp: Path) -> Iterator[tuple[trustme.CA, dict[str, str]]]:
    """A test CA and a certificate for localhost and 127.0.0.1, as uvicorn's ssl options."""
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    cert.private_key_pem.write_to_path(str(tmp / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(tmp / "cert.pem"))
    yield ca, {"ssl_keyfile": str(tmp / "key.pem"), "ssl_certfile": str(tmp / "cert.pem")}


def trusting(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def chromium() -> WebDriver:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--no-first-run", "--disable-background-networking"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))


def sign_in_and_allow(driver: WebDriver, url: str, email: str, password: str) -> None:
    """What a person does: open the link, sign in when asked, read the consent page, press Allow."""
    driver.get(url)
    wait = WebDriverWait(driver, WAIT)
    wait.until(lambda d: d.find_elements(By.ID, "allow") or d.find_elements(By.ID, "sign-in"))
    if driver.find_elements(By.ID, "sign-in"):
        driver.find_element(By.ID, "email").send_keys(email)
        driver.find_element(By.ID, "password").send_keys(password)
        driver.find_element(By.ID, "sign-in").click()
    try:
        wait.until(expected_conditions.element_to_be_clickable((By.ID, "allow")))
    except TimeoutException as exc:
        raise AssertionError(f"no consent page at {driver.current_url}: {driver.page_source[:600]}") from exc
    assert not driver.find_element(By.ID, "allow-writes").is_selected()
    driver.find_element(By.ID, "allow").click()
