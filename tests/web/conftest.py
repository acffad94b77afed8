"""The dashboard in headless Chromium: Berth (control plane and gateway) and a worker on loopback.

Every page the suite visits is photographed at desktop and phone width into
``.artifacts/dashboard/`` at the top of the work tree (git-ignored; the
folder is printed at the end of the run). Chromium and its driver are the
Debian packages, as in the OAuth browser tests.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from cli.server import RootApp
from control_plane.api.app import serving as control_serving
from control_plane.mail import catcher
from control_plane.settings import Settings
from data_plane.lifespan import serving as gateway_serving
from jobs.worker import running as worker_running
from tests.api.conftest import confirmation_tokens
from tests.oauth import live

ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts" / "dashboard"
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
PASSWORD = "correct horse battery"  # noqa: S105 - a test account's password
WAIT = 20


@dataclass(frozen=True)
class Site:
    base: str
    settings: Settings


@pytest.fixture
async def site(settings: Settings) -> AsyncIterator[Site]:
    """Berth on 127.0.0.1 with a worker, as ``berth dev`` runs it (without the embedded servers)."""
    port = live.free_port()
    base = f"http://127.0.0.1:{port}"
    configured = settings.model_copy(update={"public_url": base, "port": port})
    root = RootApp(configured, control_serving, gateway_serving, [])
    async with live.serve(root, port), worker_running(configured, periodic={}):
        yield Site(base, configured)


@pytest.fixture
async def mail_site(settings: Settings) -> AsyncIterator[Site]:
    """The same site with its mail caught on loopback, so mailed links (sign-up, invitations) are followed."""
    port = live.free_port()
    base = f"http://127.0.0.1:{port}"
    configured = catcher.for_dev(settings.model_copy(update={"public_url": base, "port": port}))
    root = RootApp(configured, control_serving, gateway_serving, [])
    async with catcher.catching(configured), live.serve(root, port), worker_running(configured, periodic={}):
        yield Site(base, configured)


@pytest.fixture
def driver() -> Iterator[WebDriver]:
    browser = live.chromium()
    browser.set_window_size(*SIZES["desktop"])
    browser.execute_cdp_cmd("Browser.grantPermissions", {
        "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    yield browser
    browser.quit()


def shoot(driver: WebDriver, name: str) -> None:
    """The current page at desktop and at phone width."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for label, size in SIZES.items():
        driver.set_window_size(*size)
        driver.save_screenshot(str(ARTIFACTS / f"{name}-{label}.png"))
    driver.set_window_size(*SIZES["desktop"])


def wait_for(driver: WebDriver, element_id: str, timeout: float = WAIT) -> None:
    WebDriverWait(driver, timeout).until(lambda d: d.find_elements(By.ID, element_id))


def fill(driver: WebDriver, fields: dict[str, str]) -> None:
    for element_id, value in fields.items():
        box = driver.find_element(By.ID, element_id)
        box.clear()
        box.send_keys(value)


def mailed_link(site: Site, to: str) -> str:
    """The newest sign-up link mailed to ``to`` (the mail goes out just after the page answers)."""
    deadline = time.monotonic() + WAIT
    while not (found := confirmation_tokens(site.settings, to)):
        assert time.monotonic() < deadline, f"no sign-up mail to {to}"
        time.sleep(0.2)
    return f"{site.base}/signup/confirm?token={found[0]}"


def ask_to_sign_up(driver: WebDriver, site: Site, email: str, password: str = PASSWORD) -> None:
    driver.get(f"{site.base}/signup")
    fill(driver, {"signup-email": email, "signup-password": password, "signup-account": "Acme"})
    driver.find_element(By.ID, "sign-up").click()


def sign_up(driver: WebDriver, site: Site, email: str | None = None) -> str:
    """A new account in the browser, signed in on the welcome page: at once on a site without mail, by
    the mailed link and the password on one with mail."""
    email = email or f"owner-{uuid.uuid4().hex[:8]}@example.com"
    ask_to_sign_up(driver, site, email)
    if site.settings.sends_mail:
        wait_for(driver, "check-mail")
        driver.get(mailed_link(site, email))
        fill(driver, {"confirm-password": PASSWORD})
        driver.find_element(By.ID, "confirm").click()
    wait_for(driver, "welcome")
    return email


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if ARTIFACTS.exists() and any(ARTIFACTS.iterdir()):
        terminalreporter.write_line(f"dashboard screenshots: {ARTIFACTS}")
