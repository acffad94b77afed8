"""Mail and magic links: a real SMTP server on loopback (the dev catcher), single use, expiry, one answer."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from cli.server import RootApp
from control_plane.api.app import serving as control_serving
from control_plane.mail import catcher
from control_plane.mail.sender import Mail, SmtpMailer
from control_plane.settings import Settings
from data_plane.lifespan import serving as gateway_serving
from tests.oauth.conftest import BASE, Account, Clock, csrf_of, query_of

LINK = re.compile(r"https://berth\.test/login/magic\?\S+")


@pytest.fixture
def berth_settings(settings: Settings) -> Settings:
    """Mail goes to a catcher on a free loopback port; the app runs in dev mode so /dev/mail exists."""
    return catcher.for_dev(settings.model_copy(update={"public_url": BASE, "dev": True}))


@pytest.fixture
async def mailbox(berth_settings: Settings) -> AsyncIterator[Settings]:
    async with catcher.catching(berth_settings):
        yield berth_settings


def links(settings: Settings) -> list[str]:
    return [found for m in catcher.caught(settings) for found in LINK.findall(m.text)]


async def test_the_sender_delivers_to_a_real_smtp_server(mailbox: Settings) -> None:
    mailer = SmtpMailer(mailbox.smtp_host or "", mailbox.smtp_port, "Berth <b@example.com>", starttls=False)
    await mailer.send(Mail("someone@example.com", "hello", "a body"))
    [got] = catcher.caught(mailbox)
    assert (got.to, got.subject, got.text.strip()) == ("someone@example.com", "hello", "a body")


async def test_magic_link_answers_alike_arrives_works_once(
    mailbox: Settings, browser: httpx.AsyncClient, account: Account,
) -> None:
    known = await browser.post("/v1/login/magic-link", json={"email": account.email, "next": "/login"})
    unknown = await browser.post("/v1/login/magic-link", json={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    [link] = links(mailbox)
    [caught] = [m for m in catcher.caught(mailbox) if m.subject == "Your Berth sign-in link"]
    assert caught.to == account.email
    confirm = await browser.get(link.removeprefix(BASE))
    assert confirm.status_code == 200 and "Sign in to Berth" in confirm.text  # opening it signs nobody in
    form = {"csrf_token": csrf_of(confirm), "token": query_of(link)["token"], "next": "/login"}
    used = await browser.post("/login/magic", data=form)
    assert used.status_code == 303 and used.headers["location"] == "/login"
    assert account.email in (await browser.get("/login")).text
    fresh_token = csrf_of(await browser.get("/login"))
    again = await browser.post("/login/magic", data={**form, "csrf_token": fresh_token})
    assert again.status_code == 401 and "used, expired or unknown" in again.text
    shown = await browser.get("/dev/mail")
    assert shown.status_code == 200 and "Your Berth sign-in link" in shown.text
    assert account.email in shown.text


async def test_magic_link_expires_after_fifteen_minutes(
    mailbox: Settings, browser: httpx.AsyncClient, account: Account, clock: Clock,
) -> None:
    await browser.post("/v1/login/magic-link", json={"email": account.email})
    [link] = links(mailbox)
    confirm = await browser.get(link.removeprefix(BASE))
    clock.now += timedelta(minutes=15, seconds=1)
    form = {"csrf_token": csrf_of(confirm), "token": query_of(link)["token"], "next": "/login"}
    assert (await browser.post("/login/magic", data=form)).status_code == 401


async def test_the_sign_in_page_asks_for_a_link_too(
    mailbox: Settings, browser: httpx.AsyncClient, account: Account,
) -> None:
    page = await browser.get("/login?next=/oauth/consent%3Frequest%3Dabc")
    sent = await browser.post("/login/magic-link", data={"email": account.email, "csrf_token": csrf_of(page),
                                                         "next": "/oauth/consent?request=abc"})
    assert sent.status_code == 200 and "Check your mail" in sent.text
    [link] = links(mailbox)
    assert query_of(link)["next"] == "/oauth/consent?request=abc"
    forged = await browser.post("/login/magic-link", data={"email": account.email})
    assert forged.status_code == 403


async def test_dev_mail_is_absent_outside_dev(settings: Settings) -> None:
    root = RootApp(settings, control_serving, gateway_serving, [])
    await root._start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=root), base_url=BASE) as client:
            assert (await client.get("/dev/mail")).status_code == 404
    finally:
        await root.stack.aclose()
