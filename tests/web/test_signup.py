"""Sign-up in headless Chromium when Berth sends mail: "check your email" whether or not the address has an
account, the mailed link's page finishes it with the password chosen, and the new owner is signed in."""

from __future__ import annotations

import asyncio
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from control_plane.mail import catcher
from control_plane.services import signups
from tests.web.conftest import PASSWORD, Site, ask_to_sign_up, fill, mailed_link, shoot, wait_for

STRANGER = "a stranger's own passphrase"  # noqa: S105 - what someone else types at sign-up


def answer_to(driver: WebDriver, site: Site, email: str, password: str) -> str:
    """The page a sign-up shows, as text."""
    ask_to_sign_up(driver, site, email, password)
    wait_for(driver, "check-mail")
    return str(driver.find_element(By.TAG_NAME, "main").text)


def sign_up_by_mail(site: Site, driver: WebDriver) -> tuple[str, str, str, str]:
    """What a fresh and a taken address are told, the page the link lands on, and /app afterwards."""
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    fresh = answer_to(driver, site, email, PASSWORD)
    shoot(driver, "signup-check-mail")
    driver.get(mailed_link(site, email))
    shoot(driver, "signup-confirm")
    fill(driver, {"confirm-password": PASSWORD})
    driver.find_element(By.ID, "confirm").click()
    wait_for(driver, "welcome")
    landed = driver.find_element(By.ID, "welcome").text
    driver.get(f"{site.base}/app")
    wait_for(driver, "sign-out")
    signed_in = driver.find_element(By.ID, "sign-out").text
    driver.delete_all_cookies()
    taken = answer_to(driver, site, email, STRANGER)
    return fresh, taken, landed, signed_in


async def test_signup_says_check_your_email_and_the_link_signs_in(mail_site: Site, driver: WebDriver) -> None:
    fresh, taken, landed, signed_in = await asyncio.to_thread(sign_up_by_mail, mail_site, driver)
    assert "Check your email" in fresh and signups.CHECK_MAIL in fresh
    assert taken == fresh  # a taken address reads exactly as a fresh one
    assert landed.startswith("Welcome, owner-")
    told = [m for m in catcher.caught(mail_site.settings) if m.subject == signups.TAKEN_SUBJECT]
    assert len(told) == 1 and told[0].to in landed and told[0].to in signed_in
