"""The endpoint page's upload form, into an endpoint that exists: streamed to the spool under the plan's
limit like the API's upload, a refusal naming the limit and leaving no spool file and no import.

The site's import limit is lowered (``BERTH_MAX_IMPORT_BYTES``), so a file a few megabytes long is over
it many times and the browser is still sending when Berth refuses it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from control_plane.settings import Settings
from tests.web.conftest import WAIT, Site, fill, shoot, sign_up, wait_for
from tests.web.test_create_from_file import BOUNDARY, CSV, big_csv, spool_files

LIMIT = 256 * 1024
IMPORTS = "SELECT state, table_name, rows_done FROM imports"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The site's settings with every plan's file limit lowered to ``LIMIT``."""
    return settings.model_copy(update={"max_import_bytes": LIMIT})


def ready_endpoint(driver: WebDriver, site: Site) -> str:
    """A new account with an endpoint made from a name, its page open once it is ready; its slug."""
    sign_up(driver, site)
    driver.get(f"{site.base}/app")
    fill(driver, {"name": "depot"})
    driver.find_element(By.ID, "create").click()
    wait_for(driver, "endpoint-name")
    wait_for(driver, "upload-form", timeout=60)  # the page's script reloads it once the endpoint is ready
    return driver.current_url.rsplit("/", 1)[-1].split("#")[0]


def upload(driver: WebDriver, source: Path, table: str = "") -> None:
    driver.find_element(By.ID, "upload-file").send_keys(str(source))
    fill(driver, {"upload-table": table})
    driver.find_element(By.ID, "upload").click()


def too_large_then_good(driver: WebDriver, site: Site, folder: Path) -> tuple[str, str]:
    """The page's status line after a file over the limit; the imports table after a good file."""
    ready_endpoint(driver, site)
    upload(driver, big_csv(folder, 32 * LIMIT))
    status = driver.find_element(By.ID, "upload-status")
    WebDriverWait(driver, WAIT).until(lambda _: status.text not in ("", "Uploading…"))
    refused = status.text
    shoot(driver, "upload-too-large")
    good = folder / "parts.csv"
    good.write_bytes(CSV)
    driver.refresh()
    wait_for(driver, "upload-form")
    upload(driver, good, table="parts")
    # The page's script follows the import once it is uploaded and reloads the page as it moves on.
    rows = "#import-table tbody tr"
    WebDriverWait(driver, 60).until(
        lambda d: "done" in " ".join(e.text for e in d.find_elements(By.CSS_SELECTOR, rows)))
    shoot(driver, "upload-imported")
    return refused, driver.find_element(By.CSS_SELECTOR, rows).text


async def test_a_file_over_the_limit_is_refused_naming_it_and_a_good_one_imports(
    site: Site, driver: WebDriver, catalog: asyncpg.Connection, tmp_path: Path,
) -> None:
    refused, accepted = await asyncio.to_thread(too_large_then_good, driver, site, tmp_path)
    assert refused == f"The file exceeds the free plan's import limit of {LIMIT} bytes."
    assert accepted.endswith("csv parts done 2"), accepted  # format, table, state, rows
    assert [tuple(r) for r in await catalog.fetch(IMPORTS)] == [("done", "parts", 2)]
    assert spool_files(site) == []


def signed_in_on_endpoint(driver: WebDriver, site: Site) -> tuple[dict[str, str], str, str]:
    """Cookies, the upload form's CSRF token and the endpoint's slug, for requests made by hand."""
    slug = ready_endpoint(driver, site)
    token = driver.find_element(By.CSS_SELECTOR, "#upload-form input[name=csrf_token]").get_attribute("value")
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    return {"Cookie": cookies, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}, str(token), slug


def form(*parts: tuple[str, str | None, bytes]) -> bytes:
    """A multipart body of (name, file name or None, content) parts, in the order given."""
    body = b""
    for name, filename, content in parts:
        named = f'; filename="{filename}"' if filename is not None else ""
        body += (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"{named}\r\n\r\n').encode()
        body += content + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


async def test_refusals_after_the_file_is_spooled_leave_no_file_and_no_import(
    site: Site, driver: WebDriver, catalog: asyncpg.Connection,
) -> None:
    headers, token, slug = await asyncio.to_thread(signed_in_on_endpoint, driver, site)
    url, json = f"/app/endpoints/{slug}/imports", {"Accept": "application/json"}
    async with httpx.AsyncClient(base_url=site.base, headers=headers, timeout=30) as http:
        wrong_token = await http.post(url, content=form(("file", "gear.csv", CSV),
                                                        ("csrf_token", None, b"not-the-token")))
        assert wrong_token.status_code == 403, wrong_token.text
        bad_mode = await http.post(url, headers=json, content=form(
            ("csrf_token", None, token.encode()), ("file", "gear.csv", CSV), ("mode", None, b"merge")))
        assert bad_mode.status_code == 422, bad_mode.text
        assert bad_mode.json()["error"]["message"] == "Mode must be create, replace or append."
        no_file = await http.post(url, headers=json, content=form(
            ("csrf_token", None, token.encode()), ("file", "", b"")))
        assert no_file.status_code == 422 and "Choose a file" in no_file.text, no_file.text
        over = await http.post(url, headers=json, content=form(
            ("csrf_token", None, token.encode()), ("file", "gear.csv", b"x" * 2 * LIMIT)))
        assert over.status_code == 413 and over.json()["error"]["code"] == "import_too_large", over.text
        assert await catalog.fetchval("SELECT count(*) FROM imports") == 0
        assert spool_files(site) == []
        made = await http.post(url, headers=json, content=form(
            ("csrf_token", None, token.encode()), ("file", "gear.csv", CSV), ("mode", None, b"append")))
        assert made.status_code == 202, made.text
    assert await catalog.fetchval("SELECT count(*) FROM imports") == 1


async def test_a_declared_length_over_the_limit_is_refused_before_the_file_is_sent(
    site: Site, driver: WebDriver, catalog: asyncpg.Connection,
) -> None:
    """Berth answers as soon as the file part begins: the form is read as it arrives, not whole first."""
    headers, token, slug = await asyncio.to_thread(signed_in_on_endpoint, driver, site)
    start = form(("csrf_token", None, token.encode()), ("file", "gear.csv", b"sku,name\n"))
    start = start[:start.rindex(b"\r\n--")]  # the file part begun, the rest of the 10 GiB never sent
    head = "".join(f"{k}: {v}\r\n" for k, v in {**headers, "Accept": "application/json",
                                                  "Content-Length": str(10 * 1024**3)}.items())
    reader, writer = await asyncio.open_connection(site.base.split("//")[1].split(":")[0],
                                                   int(site.base.rsplit(":", 1)[1]))
    try:
        writer.write(f"POST /app/endpoints/{slug}/imports HTTP/1.1\r\nHost: x\r\n{head}\r\n".encode() + start)
        await writer.drain()
        answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=WAIT)
    finally:
        writer.close()
    assert answer.startswith(b"HTTP/1.1 413 "), answer
    assert await catalog.fetchval("SELECT count(*) FROM imports") == 0
    assert spool_files(site) == []
