"""Mail out over SMTP with aiosmtplib: one message per call; no address, password or link in a log line."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib

from control_plane.errors import Unavailable
from control_plane.settings import Settings

log = logging.getLogger("berth.mail")


@dataclass(frozen=True)
class Mail:
    """One plain-text message to one recipient."""

    to: str
    subject: str
    text: str


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None:
        """Deliver ``mail`` to the relay; raises ``Unavailable`` when the relay cannot take it."""


@dataclass(frozen=True)
class SmtpMailer:
    """A relay reached with aiosmtplib; STARTTLS when configured, login when a user is set."""

    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = True
    timeout: float = 10.0

    def message(self, mail: Mail) -> EmailMessage:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.sender, mail.to, mail.subject
        msg.set_content(mail.text)
        return msg

    async def send(self, mail: Mail) -> None:
        try:
            await aiosmtplib.send(self.message(mail), hostname=self.host, port=self.port,
                                  username=self.user, password=self.password,
                                  start_tls=self.starttls, timeout=self.timeout)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            # The exception text may quote the server's reply; only its type is logged.
            log.warning("mail relay %s:%d refused a message: %s", self.host, self.port, type(exc).__name__)
            raise Unavailable("mail could not be sent; retry later") from exc


class DroppingMailer:
    """No relay configured: every message is dropped, and the drop is logged without its content."""

    async def send(self, mail: Mail) -> None:
        log.warning("BERTH_SMTP_HOST is not set: a message was not sent")


def from_settings(settings: Settings) -> Mailer:
    if settings.smtp_host is None:
        return DroppingMailer()
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return SmtpMailer(settings.smtp_host, settings.smtp_port, settings.smtp_from, settings.smtp_user,
                      password, settings.smtp_starttls, settings.smtp_timeout_seconds)
