"""A tenant's whole day in headless Chromium: sign up, an endpoint from a CSV, a token, an agent's call,
usage, revocation, the other pages, and deleting the account."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg
import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.web.conftest import PASSWORD, WAIT, Site, fill, shoot, sign_up, wait_for

CSV = "sku,name,price\nA-1,anchor,19.5\nB-2,buoy,7\nC-3,chain,42\n"
READ_CLIPBOARD = "const done = arguments[0]; navigator.clipboard.readText().then(done, () => done(null));"


def page_until(driver: WebDriver, url: str, ready: str, timeout: float = WAIT) -> None:
    """Reload ``url`` until ``ready`` (a JavaScript expression) holds."""
    deadline = time.monotonic() + timeout
    while True:
        driver.get(url)
        if driver.execute_script(f"return {ready};"):
            return
        assert time.monotonic() < deadline, f"{url} never showed {ready}: {driver.page_source[:800]}"
        time.sleep(0.3)


def create_from_csv(driver: WebDriver, site: Site, folder: Path) -> str:
    source = folder / "items.csv"
    source.write_text(CSV)
    driver.get(f"{site.base}/app")
    shoot(driver, "endpoints-empty")
    fill(driver, {"name": "shop"})
    driver.find_element(By.ID, "create-file").send_keys(str(source))
    driver.find_element(By.ID, "create").click()
    wait_for(driver, "endpoint-name")
    shoot(driver, "endpoint-provisioning")
    # The page's script follows the endpoint and the import and reloads when they move on.
    states = "#import-table .import-state"
    WebDriverWait(driver, 60).until(
        lambda d: "done" in " ".join(e.text for e in d.find_elements(By.CSS_SELECTOR, states)))
    return driver.current_url.rsplit("/", 1)[-1].split("#")[0]


def issue_and_copy(driver: WebDriver) -> str:
    driver.find_element(By.ID, "issue").click()
    wait_for(driver, "new-token")
    shown = driver.find_element(By.ID, "new-token").get_attribute("value") or ""
    assert "cannot show it again" in driver.find_element(By.ID, "token-warning").text
    driver.find_element(By.ID, "copy-token").click()
    WebDriverWait(driver, WAIT).until(lambda d: d.find_element(By.ID, "copy-token").text == "Copied")
    copied = driver.execute_async_script(READ_CLIPBOARD)
    assert copied == shown and shown.startswith("smcp_")
    shoot(driver, "endpoint-new-token")
    return str(copied)


def agent_call(site: Site, slug: str, token: str) -> httpx.Response:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "query", "arguments": {"sql": "SELECT name FROM items ORDER BY sku"}}}
    return httpx.post(f"{site.base}/e/{slug}/mcp", json=body, headers={
        "Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"})


def journey(site: Site, driver: WebDriver, folder: Path) -> str:
    """What a person does, in the browser (run in a thread: the servers share the test's event loop)."""
    driver.get(f"{site.base}/app")
    assert "/login" in driver.current_url  # signed out: sent to sign in
    driver.get(f"{site.base}/signup")
    shoot(driver, "signup")
    email = sign_up(driver, site)
    shoot(driver, "welcome")
    slug = create_from_csv(driver, site, folder)
    shoot(driver, "endpoint-imported")
    token = issue_and_copy(driver)

    answer = agent_call(site, slug, token)
    assert answer.status_code == 200, answer.text
    assert "anchor" in answer.text

    one_call = "document.querySelector('rect.bar[data-calls=\"1\"]') !== null"
    page_until(driver, f"{site.base}/app/usage", one_call)
    assert driver.find_element(By.CSS_SELECTOR, ".total strong").text == "1"
    assert "1" in driver.find_element(By.CSS_SELECTOR, ".numbers tbody").text
    shoot(driver, "usage")

    driver.get(f"{site.base}/app/endpoints/{slug}")
    driver.find_element(By.CSS_SELECTOR, "[data-revoke]").click()
    wait_for(driver, "notice")
    assert agent_call(site, slug, token).status_code == 401
    other_pages(driver, site, slug)
    return email


def delete_account(site: Site, driver: WebDriver) -> None:
    driver.get(f"{site.base}/app/account")
    fill(driver, {"delete-password": PASSWORD})
    driver.find_element(By.ID, "delete-account").click()
    WebDriverWait(driver, WAIT).until(lambda d: "Account deleted" in d.page_source)
    shoot(driver, "account-deleted")
    driver.get(f"{site.base}/app")
    assert "/login" in driver.current_url


async def test_sign_up_import_token_call_usage_revoke_and_delete(
    site: Site, driver: WebDriver, catalog: asyncpg.Connection, tmp_path: Path,
) -> None:
    email = await asyncio.to_thread(journey, site, driver, tmp_path)
    # Read before deleting: the deletion job removes the tenant's memberships and sole users by design.
    tenant_id = await catalog.fetchval(
        "SELECT m.tenant_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = $1", email)
    assert tenant_id is not None
    await asyncio.to_thread(delete_account, site, driver)
    deadline = time.monotonic() + 60
    status_of = "SELECT status FROM tenants WHERE id = $1"
    while (status := await catalog.fetchval(status_of, tenant_id)) != "deleted":
        assert status == "deleting" and time.monotonic() < deadline, status
        await asyncio.sleep(0.2)
    assert await catalog.fetchval("SELECT count(*) FROM memberships WHERE tenant_id = $1", tenant_id) == 0
    assert await catalog.fetchval("SELECT count(*) FROM users WHERE email = $1", email) == 0


def other_pages(driver: WebDriver, site: Site, slug: str) -> None:
    """Tools, settings, audit, account and /docs: each works and is photographed."""
    driver.find_element(By.ID, "show-tools").click()
    wait_for(driver, "tool-list")
    assert "items" in driver.find_element(By.ID, "tool-list").text
    shoot(driver, "tools")
    driver.get(f"{site.base}/app/endpoints/{slug}")
    driver.find_element(By.ID, "public-docs").click()
    driver.find_element(By.ID, "save-settings").click()
    wait_for(driver, "notice")
    assert driver.find_element(By.ID, "public-docs").is_selected()
    shoot(driver, "endpoint-settings-saved")
    driver.get(f"{site.base}/app/audit?action=token.revoke")
    assert "token.revoke" in driver.find_element(By.ID, "audit-table").text
    assert "token.issue" not in driver.find_element(By.ID, "audit-table").text
    driver.get(f"{site.base}/app/audit")
    shoot(driver, "audit")
    driver.get(f"{site.base}/app/account")
    driver.find_element(By.ID, "create-key").click()
    wait_for(driver, "new-key")
    assert (driver.find_element(By.ID, "new-key").get_attribute("value") or "").startswith("bth_")
    shoot(driver, "account")
    driver.get(f"{site.base}/docs")
    WebDriverWait(driver, WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock"))
    shoot(driver, "api-docs")
