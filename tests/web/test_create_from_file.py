"""The dashboard's New endpoint form with a file: streamed to the spool under the plan's limit, the token
checked before anything is made, a refusal shown on the form with nothing left behind.

The site's import limit is lowered for these tests (``BERTH_MAX_IMPORT_BYTES``), so a file a few
megabytes long is over it many times: the browser is still sending when Berth refuses it.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from control_plane.settings import Settings
from tests.web.conftest import Site, fill, shoot, sign_up, wait_for

LIMIT = 256 * 1024
BOUNDARY = "berth-dashboard-test-3c9e"
CSV = b"sku,name\nA-1,anchor\nB-2,buoy\n"
ENDPOINTS = "SELECT count(*) FROM endpoints"
FIRST_IMPORTS = "SELECT e.name, i.table_name FROM endpoints e JOIN imports i ON i.endpoint_id = e.id"
IMPORT_STATE = "SELECT state FROM imports"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The site's settings with every plan's file limit lowered to ``LIMIT``."""
    return settings.model_copy(update={"max_import_bytes": LIMIT})


def spool_files(site: Site) -> list[Path]:
    directory = site.settings.data_dir / "imports"
    return sorted(directory.rglob("*")) if directory.exists() else []


def big_csv(folder: Path, size: int) -> Path:
    path = folder / "big.csv"
    rows = b"".join(b"%d,n%d\n" % (i, i) for i in range(size // 8))
    path.write_bytes(b"id,name\n" + rows[:size])
    return path


def refused_in_browser(driver: WebDriver, site: Site, source: Path) -> tuple[str, str, str]:
    """Sign up, send the form with ``source``; what the page then shows: its error, the name kept, its URL."""
    sign_up(driver, site)
    driver.get(f"{site.base}/app")
    fill(driver, {"name": "huge"})
    driver.find_element(By.ID, "create-file").send_keys(str(source))
    driver.find_element(By.ID, "create").click()
    wait_for(driver, "error")
    shoot(driver, "create-too-large")
    kept = driver.find_element(By.ID, "name").get_attribute("value") or ""
    return driver.find_element(By.ID, "error").text, kept, driver.current_url


async def test_a_file_over_the_plan_limit_shows_the_form_again_and_leaves_nothing(
    site: Site, driver: WebDriver, catalog: asyncpg.Connection, tmp_path: Path,
) -> None:
    source = big_csv(tmp_path, 32 * LIMIT)  # 8 MiB: far more than the socket buffers hold
    error, kept, url = await asyncio.to_thread(refused_in_browser, driver, site, source)
    assert error == f"The file exceeds the free plan's import limit of {LIMIT} bytes."
    assert kept == "huge" and url == f"{site.base}/app/endpoints"
    assert await catalog.fetchval(ENDPOINTS) == 0
    assert spool_files(site) == []


def signed_in(driver: WebDriver, site: Site) -> tuple[dict[str, str], str]:
    """A new account's cookies and the CSRF token its New endpoint form carries."""
    sign_up(driver, site)
    driver.get(f"{site.base}/app")
    token = driver.find_element(By.CSS_SELECTOR, "#create-form input[name=csrf_token]").get_attribute("value")
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    return {"Cookie": cookies}, str(token)


def file_first(name: str, token: str, body: bytes, filename: str = "gear.csv") -> bytes:
    """The form with its file part before its fields: what a browser never sends, but a client may."""
    head = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    fields = b"".join(f'\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}'.encode()
                      for k, v in (("name", name), ("csrf_token", token)))
    return head + body + fields + f"\r\n--{BOUNDARY}--\r\n".encode()


async def test_a_file_sent_before_a_wrong_token_is_spooled_then_dropped_and_nothing_is_made(
    site: Site, driver: WebDriver, catalog: asyncpg.Connection,
) -> None:
    headers, token = await asyncio.to_thread(signed_in, driver, site)
    headers["Content-Type"] = f"multipart/form-data; boundary={BOUNDARY}"
    async with httpx.AsyncClient(base_url=site.base, headers=headers, timeout=30) as http:
        refused = await http.post("/app/endpoints", content=file_first("gear", "not-the-token", CSV))
        assert refused.status_code == 403, refused.text
        assert "The form has expired or was not sent from Berth" in refused.text
        missing = await http.post("/app/endpoints", content=file_first("gear", "", CSV))
        assert missing.status_code == 403
        assert await catalog.fetchval(ENDPOINTS) == 0
        assert spool_files(site) == []

        unknown = await http.post("/app/endpoints", content=file_first("gear", token, b"MZ\x90", "gear.exe"))
        assert unknown.status_code == 422 and 'id="error"' in unknown.text, unknown.text
        assert await catalog.fetchval(ENDPOINTS) == 0 and spool_files(site) == []

        made = await http.post("/app/endpoints", content=file_first("gear", token, CSV))
        assert made.status_code == 303, made.text
        assert made.headers["location"].startswith("/app/endpoints/gear-")
    assert [tuple(r) for r in await catalog.fetch(FIRST_IMPORTS)] == [("gear", "gear")]
    for _ in range(300):  # the worker loads it once the endpoint is ready, then removes its spool file
        if await catalog.fetchval(IMPORT_STATE) == "done":
            break
        await asyncio.sleep(0.2)
    assert await catalog.fetchval(IMPORT_STATE) == "done"
    assert spool_files(site) == []


async def test_a_form_from_another_site_or_not_multipart_makes_nothing(
    site: Site, driver: WebDriver, catalog: asyncpg.Connection,
) -> None:
    headers, token = await asyncio.to_thread(signed_in, driver, site)
    async with httpx.AsyncClient(base_url=site.base, headers=headers, timeout=30) as http:
        form = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
        cross = await http.post("/app/endpoints", content=file_first("gear", token, CSV),
                                headers={**form, "Origin": f"http://evil-{uuid.uuid4().hex[:6]}.example"})
        assert cross.status_code == 403 and "This form was sent from another site." in cross.text
        plain = await http.post("/app/endpoints", data={"name": "gear", "csrf_token": token})
        assert plain.status_code == 415 and "Send multipart/form-data" in plain.text, plain.text
    assert await catalog.fetchval(ENDPOINTS) == 0 and spool_files(site) == []
