"""What the dashboard refuses, in headless Chromium: a form posted from another site, a session kept
across sign-in, a signed-out visit, and one tenant's pages opened by another."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.oauth import live
from tests.web.conftest import PASSWORD, Site, fill, shoot, sign_up, wait_for

COOKIE = "__Host-berth_session"
ENDPOINT = """
INSERT INTO endpoints (id, tenant_id, slug, name, plan, provider, status)
SELECT $1, m.tenant_id, $2, 'secret', 'free', 'local', 'ready'
FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = $3
"""
KEYS = """
SELECT count(*) FROM api_keys k JOIN memberships m ON m.tenant_id = k.tenant_id
JOIN users u ON u.id = m.user_id WHERE u.email = $1
"""


def attacker(target: str) -> Starlette:
    """Another origin whose page posts a form to Berth as soon as it opens."""
    page = (f'<form id="f" method="post" action="{target}"><input name="name" value="stolen"></form>'
            '<script>document.getElementById("f").submit()</script>')

    async def home(request: object) -> HTMLResponse:
        return HTMLResponse(page)

    return Starlette(routes=[Route("/", home)])


def sign_in(driver: WebDriver, base: str, email: str) -> None:
    driver.get(f"{base}/login?next=/app")
    fill(driver, {"email": email, "password": PASSWORD})
    driver.find_element(By.ID, "sign-in").click()
    wait_for(driver, "create-form")


def session_rotates_at_sign_in(driver: WebDriver, site: Site, email: str) -> None:
    """A session value planted in the browser before sign-in is not the one it has after."""
    planted = "planted-" + uuid.uuid4().hex
    driver.delete_cookie(COOKIE)
    driver.add_cookie({"name": COOKIE, "value": planted, "path": "/", "secure": True, "httpOnly": True})
    sign_in(driver, site.base, email)
    after = driver.get_cookie(COOKIE)
    assert after is not None and after["value"] != planted
    again = after["value"]
    sign_in_again = httpx.get(f"{site.base}/app", cookies={COOKIE: planted}, follow_redirects=False)
    assert sign_in_again.status_code == 303 and sign_in_again.headers["location"].startswith("/login")
    driver.find_element(By.ID, "sign-out").click()
    wait_for(driver, "password-form")
    sign_in(driver, site.base, email)
    last = driver.get_cookie(COOKIE)
    assert last is not None and last["value"] != again
    ended = httpx.get(f"{site.base}/app", cookies={COOKIE: again}, follow_redirects=False)
    assert ended.status_code == 303  # the signed-out session is over on the server too


def other_tenant_sees_nothing(driver: WebDriver, site: Site, slug: str) -> None:
    driver.delete_all_cookies()
    sign_up(driver, site)
    for path in (f"/app/endpoints/{slug}", f"/app/endpoints/{slug}/state.json"):
        driver.get(f"{site.base}{path}")
        assert "It may have been deleted, or it belongs to another account." in driver.page_source
        assert "secret" not in driver.find_element(By.TAG_NAME, "main").text
    shoot(driver, "not-found")
    cookie = driver.get_cookie(COOKIE)
    assert cookie is not None
    status = httpx.get(f"{site.base}/app/endpoints/{slug}", cookies={COOKIE: cookie["value"]})
    assert status.status_code == 404


async def test_csrf_fixation_signed_out_and_other_tenants(
    site: Site, driver: WebDriver, catalog: asyncpg.Connection,
) -> None:
    async with httpx.AsyncClient() as http:
        signed_out = await http.get(f"{site.base}/app/usage", follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/login?next=%2Fapp%2Fusage"
    email = await asyncio.to_thread(sign_up, driver, site)
    await asyncio.to_thread(session_rotates_at_sign_in, driver, site, email)
    await asyncio.to_thread(shoot, driver, "sign-in-done")

    keys = await catalog.fetchval(KEYS, email)
    port = live.free_port()
    async with live.serve(attacker(f"{site.base}/app/account/keys"), port):
        await asyncio.to_thread(driver.get, f"http://127.0.0.1:{port}/")
        await asyncio.to_thread(wait_for, driver, "problem")
    assert "This form was sent from another site." in driver.find_element(By.ID, "problem").text
    await asyncio.to_thread(shoot, driver, "csrf-refused")
    assert await catalog.fetchval(KEYS, email) == keys

    slug = f"secret-{uuid.uuid4().hex[:12]}"
    await catalog.execute(ENDPOINT, uuid.uuid4(), slug, email)
    await asyncio.to_thread(other_tenant_sees_nothing, driver, site, slug)
