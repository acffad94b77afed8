"""Teams and sharing in headless Chromium: an owner invites by email, the invited person signs up from
the mailed link and sees the endpoint; a share another tenant offers is accepted on the endpoints page."""

from __future__ import annotations

import asyncio
import re
import time
import uuid

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from control_plane.mail import catcher
from tests.web.conftest import PASSWORD, WAIT, Site, fill, shoot, sign_up, wait_for

INVITE = re.compile(r"/invitations/accept\?token=([A-Za-z0-9_-]+)")


def invitation_link(site: Site, to: str) -> str:
    deadline = time.monotonic() + WAIT
    while True:
        found = [t for m in catcher.caught(site.settings) if m.to == to for t in INVITE.findall(m.text)]
        if found:
            return f"{site.base}/invitations/accept?token={found[0]}"
        assert time.monotonic() < deadline, "no invitation mail"
        time.sleep(0.2)


def sign_out(driver: WebDriver, site: Site) -> None:
    driver.get(f"{site.base}/app")
    driver.find_element(By.ID, "sign-out").click()
    wait_for(driver, "password-form")  # the sign-in page: the session has ended


def invite_accept_and_see(site: Site, driver: WebDriver, folder_name: str) -> tuple[str, str, str]:
    """The invited address, what the member's endpoints page shows, and the team's member table."""
    sign_up(driver, site)
    driver.get(f"{site.base}/app")
    fill(driver, {"name": folder_name})
    driver.find_element(By.ID, "create").click()
    wait_for(driver, "endpoint-name")
    driver.get(f"{site.base}/app/team")
    assert driver.find_elements(By.ID, "member-table"), driver.page_source[-1500:]
    shoot(driver, "team")
    invited = f"member-{uuid.uuid4().hex[:8]}@example.com"
    fill(driver, {"invite-email": invited})
    Select(driver.find_element(By.ID, "invite-role")).select_by_value("viewer")
    driver.find_element(By.ID, "invite").click()
    wait_for(driver, "notice")
    assert invited in driver.find_element(By.ID, "invitation-list").text
    link = invitation_link(site, invited)
    sign_out(driver, site)

    driver.get(link)
    shoot(driver, "invitation-accept")
    fill(driver, {"join-password": PASSWORD})
    driver.find_element(By.ID, "join").click()
    wait_for(driver, "endpoints")
    seen = driver.find_element(By.ID, "endpoints").text
    driver.get(f"{site.base}/app/team")
    return invited, seen, driver.find_element(By.ID, "member-table").text


async def test_invite_accept_and_the_member_sees_the_endpoint(mail_site: Site, driver: WebDriver) -> None:
    invited, seen, members = await asyncio.to_thread(invite_accept_and_see, mail_site, driver, "team-shop")
    assert "team-shop" in seen  # the member sees the team's endpoint
    assert invited in members and "viewer" in members


def accept_offer(site: Site, driver: WebDriver, email: str) -> None:
    driver.get(f"{site.base}/login")
    fill(driver, {"email": email, "password": PASSWORD})
    driver.find_element(By.ID, "sign-in").click()
    wait_for(driver, "signed-in")
    driver.get(f"{site.base}/app")
    assert driver.find_elements(By.ID, "shared-table"), driver.page_source[-1500:]
    row = driver.find_element(By.CSS_SELECTOR, "[data-share='partner-data']")
    assert "shared by Partner" in row.text
    shoot(driver, "share-offered")
    row.find_element(By.CSS_SELECTOR, "[data-accept-share]").click()
    wait_for(driver, "shared-table")
    row = driver.find_element(By.CSS_SELECTOR, "[data-share='partner-data']")
    assert "accepted" in row.text and "/e/partner-data-" in row.text
    shoot(driver, "share-accepted")


async def test_a_share_offered_by_another_tenant_is_accepted_on_the_endpoints_page(
    site: Site, driver: WebDriver,
) -> None:
    email = f"grantee-{uuid.uuid4().hex[:8]}@example.com"
    async with httpx.AsyncClient(base_url=site.base) as api:
        mine = await api.post("/v1/signup", json={"email": email, "password": PASSWORD,
                                                   "tenant_name": "Mine"})
        partner = await api.post("/v1/signup", json={"email": f"p-{email}", "password": PASSWORD,
                                                      "tenant_name": "Partner"})
        key = {"Authorization": f"Bearer {partner.json()['api_key']['key']}"}
        made = await api.post("/v1/endpoints", headers=key, json={"name": "partner-data"})
        assert made.status_code == 202, made.text
        offered = await api.post("/v1/shares", headers=key, json={
            "endpoint": made.json()["id"], "to": mine.json()["tenant"]["id"], "access": "read"})
        assert offered.status_code == 201, offered.text
    await asyncio.to_thread(accept_offer, site, driver, email)
